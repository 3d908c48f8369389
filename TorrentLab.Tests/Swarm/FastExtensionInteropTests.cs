using TorrentLab.Client;
using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>BEP 6 against libtorrent: its seeder sends have all and its allowed fast set, and the download uses it.</summary>
[Trait("Tier", "Slow")]
public class FastExtensionInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SwarmDownload_FromALibtorrentSeeder_SeesHaveAllAndAllowedFastInTheTraceAndCompletes()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-fast-lt");
        await using var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, Ct);
        var built = TestTorrents.SingleFile(length: 3 << 20, pieceLength: 64 * 1024, announce: tracker.HttpAnnounceUrl);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        // libtorrent 2.0 sends have all to a peer that sets the BEP 6 bit; an allowed fast set only when its size is set.
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("lt"), folder.Path, Ct,
            settings: """{"allowed_fast_set_size": 5}""");
        var trace = new ConcurrentQueue<string>();
        var ltPeer = $"127.0.0.1:{seeder.Port}";

        await TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
        {
            Session = new SessionSettings
            {
                ListenPort = 0,
                BindAddresses = [IPAddress.Loopback],
            },
            OutputDirectory = folder.Combine("out"),
            StallTimeout = TimeSpan.FromSeconds(20),
            Trace = e => { if (e.Direction == TorrentLab.Wire.WireDirection.Received && e.Peer.ToString() == ltPeer) trace.Enqueue(e.ToString()); },
        }, null, Ct).WaitAsync(TimeSpan.FromSeconds(40), Ct);

        var file = Path.Combine(folder.Combine("out"), built.Files[0].Path);
        Assert.Equal(built.Files[0].Data, File.ReadAllBytes(file));
        var lines = string.Join("\n", trace);
        Assert.Contains(trace, l => l.StartsWith("<- handshake", StringComparison.Ordinal) && l.Contains(" fast=yes", StringComparison.Ordinal));
        Assert.True(trace.Contains("<- have all"), lines);
        Assert.True(trace.Any(l => l.StartsWith("<- allowed fast index=", StringComparison.Ordinal)), lines);
        Assert.DoesNotContain(trace, l => l.StartsWith("<- bitfield", StringComparison.Ordinal));
    }

    // A libtorrent seeder with BEP 16 super-seeding on: it reveals pieces one at a time and chokes and unchokes as it
    // goes. Prints "ready" once seeding, then runs until stdin closes.
    private const string SuperSeederScript = LibtorrentScript.Prelude + """
        torrent, save_path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        ses = loopback_session(port, lt.high_performance_seed())
        h, ti = add_torrent(ses, torrent, save_path)
        deadline = time.time() + 15
        while time.time() < deadline and h.status().state != lt.torrent_status.seeding: time.sleep(0.05)
        h.set_flags(lt.torrent_flags.super_seeding)
        print('ready' if h.status().state == lt.torrent_status.seeding and h.flags() & lt.torrent_flags.super_seeding else 'not ready', flush=True)
        sys.stdin.read()
        """;

    [Fact]
    public async Task SwarmDownload_FromALibtorrentSuperSeeder_ReceivesAtMostFivePercentMoreThanTheTorrent()
    {
        // BEP 6: a choke keeps our requests outstanding until a piece or a reject answers each. Forgetting them at each of
        // the super-seeder's chokes made us ask again after its unchoke, and libtorrent answered both copies: 7-36 % more
        // than the torrent came in.
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-fast-superseed");
        var built = TestTorrents.SingleFile(length: 20 << 20, pieceLength: 256 * 1024, announce: null, seed: 16);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        await File.WriteAllTextAsync(folder.Combine("superseed.py"), SuperSeederScript, Ct);
        var port = ProcessRunner.FreeTcpPort();
        using var process = ProcessRunner.Start(python, [folder.Combine("superseed.py"), torrentPath, folder.Combine("lt"), port.ToString()]);
        try
        {
            var ready = await process.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.True(ready == "ready", $"the libtorrent super-seeder did not start: {ready}");
            long received = 0, chokes = 0;
            var fast = false;

            await TorrentClient.DownloadAsync(built.Torrent, new DownloadOptions
            {
                Session = new SessionSettings
                {
                    ListenPort = 0,
                    BindAddresses = [IPAddress.Loopback],
                    Dht = false,
                    Transport = PeerTransport.Tcp,
                    Encryption = TorrentLab.Wire.EncryptionPolicy.Off,
                },
                OutputDirectory = folder.Combine("out"),
                ExtraPeers = [new IPEndPoint(IPAddress.Loopback, port)], StallTimeout = TimeSpan.FromSeconds(60),
                Trace = e =>
                {
                    if (e.Direction != TorrentLab.Wire.WireDirection.Received) return;
                    if (e.Kind == TorrentLab.Wire.MessageKind.Piece) Interlocked.Add(ref received, e.WireLength - 13); // <len=4><id=1><index=4><begin=4>
                    else if (e.Kind == TorrentLab.Wire.MessageKind.Choke) Interlocked.Increment(ref chokes);
                    else if (e.Kind is null && e.Fields.Contains("fast=yes", StringComparison.Ordinal)) fast = true;
                },
            }, null, Ct).WaitAsync(TimeSpan.FromSeconds(150), Ct);

            Assert.Equal(built.Payload, await File.ReadAllBytesAsync(Path.Combine(folder.Combine("out"), built.Files[0].Path), Ct));
            Assert.True(fast, "libtorrent's handshake did not set the fast extension bit");
            var ratio = (double)received / built.Payload.Length;
            TestContext.Current.TestOutputHelper?.WriteLine($"received {received} bytes for {built.Payload.Length} ({ratio:0.000}x), {chokes} chokes");
            Assert.True(ratio <= 1.05, $"received {ratio:0.000}x the torrent's size ({chokes} chokes)");
        }
        finally
        {
            ProcessRunner.Stop(process);
        }
    }
}
