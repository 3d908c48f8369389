using System.Net;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary>Our BEP 20 prefix as a real client decodes it: libtorrent must not take us for another client.</summary>
[Trait("Tier", "Slow")]
public class PeerIdInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Script = LibtorrentScript.Prelude + """
        torrent, save_path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        ses = loopback_session(port)
        h, _ = add_torrent(ses, torrent, save_path)
        # libtorrent closes incoming connections for a torrent it is still checking: wait for the seed state.
        deadline = time.time() + 20
        while time.time() < deadline and not h.status().is_seeding:
            time.sleep(0.05)
        print('ready', flush=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            peers = h.get_peer_info()
            if peers:
                print('client: %s' % peers[0].client.decode('utf-8', 'replace'), flush=True)
                sys.exit(0)
            time.sleep(0.05)
        sys.exit(1)
        """;

    [Fact]
    public async Task Libtorrent_ShowsOurPeerIdAsAnUnknownClientTZ_NotAsTribler()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-peer-id");
        var built = TestTorrents.SingleFile(length: 50_000);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        var script = folder.Combine("client_name.py");
        await File.WriteAllTextAsync(script, Script, Ct);
        var port = ProcessRunner.FreeTcpPort();
        var process = ProcessRunner.Start(python, [script, torrentPath, folder.Combine("lt"), port.ToString()]);
        try
        {
            Assert.Equal("ready", await process.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(15), Ct));
            Assert.True(ProcessRunner.WaitForTcp(port, TimeSpan.FromSeconds(10)), "libtorrent is not listening");
            await using var connection = await PeerConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), built.Torrent.InfoHash,
                PeerId.CreateOurs(), new PeerConnectionOptions { PieceCount = built.Torrent.PieceCount }, Ct);

            var line = await process.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);

            Assert.Equal("client: TZ 0.1.0", line);   // libtorrent's table has no TZ, so it prints the code and version
        }
        finally
        {
            ProcessRunner.Stop(process);
            process.Dispose();
        }
    }
}
