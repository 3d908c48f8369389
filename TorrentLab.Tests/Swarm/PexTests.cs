using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using TorrentLab.Bencode;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Simulation;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>The swarm engine's extension protocol: peer exchange (BEP 11) between our own peers, no PEX for private
/// torrents (BEP 27), and ut_metadata served from a seeder (BEP 9).</summary>
public class PexTests
{
    private const int PieceLength = 16 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Loopback only, no tracker: every peer is known from the options or from PEX.</summary>
    private static DownloadOptions Options(string output, IReadOnlyList<IPEndPoint>? peers = null, Action<string>? log = null) => new()
    {
        Session = new SessionSettings
        {
            ListenPort = 0,
            BindAddresses = [IPAddress.Loopback],
            ConnectTimeout = TimeSpan.FromSeconds(3),
            HandshakeTimeout = TimeSpan.FromSeconds(3),
        },
        OutputDirectory = output,
        Trackers = [],
        ExtraPeers = peers ?? [],
        Log = log,
        StallTimeout = TimeSpan.FromSeconds(20),
        RequestTimeout = TimeSpan.FromSeconds(2),
        LedgerInterval = TimeSpan.FromMilliseconds(300),
    };

    private static IPEndPoint At(Seeder seeder) => new(IPAddress.Loopback, seeder.Port);

    [Fact]
    [Trait("Tier", "Slow")] // a process of its own
    public void Download_PeerKnownOnlyThroughPex_IsDialledAndDeliversThePiecesOthersLack() =>
        Simulated.Passes(KnownOnlyThroughPex, seed: 11);

    /// <summary>On the simulated network, each peer a host of its own: A's 8 s of capped download pass in virtual time.</summary>
    internal static async Task KnownOnlyThroughPex(SimRun sim)
    {
        var built = TestTorrents.SingleFile(32 * PieceLength, PieceLength, announce: null);
        var link = new LinkSpec(TimeSpan.FromMilliseconds(10));
        var (sHost, aHost, bHost) = (sim.Network.AddHost("s", link), sim.Network.AddHost("a", link), sim.Network.AddHost("b", link));
        IPEndPoint ListenOf(SimHost host) => new(host.Address, 6881);
        built.WritePayload(sim.FolderOf(sHost));
        built.WritePayload(sim.FolderOf(aHost));
        // A holds only the even pieces (the odd ones are corrupted), so B cannot finish without S.
        await using (var file = File.OpenWrite(Path.Combine(sim.FolderOf(aHost), "payload.bin")))
            for (var piece = 1; piece < built.Torrent.PieceCount; piece += 2)
            {
                file.Position = (long)piece * PieceLength;
                file.WriteByte((byte)(built.Payload[piece * PieceLength] ^ 0xFF));
            }
        var logA = new List<string>();
        var logB = new List<string>();
        DownloadOptions On(SimHost host, IReadOnlyList<IPEndPoint> peers, List<string>? log) => Options(sim.FolderOf(host), peers, line =>
        {
            host.LogLine(line);
            log?.Add(line);
        });
        var settings = new SessionSettings { ListenPort = 6881, Dht = false };

        await using var sSession = TorrentLab.Client.TorrentClient.StartSession(sim.SessionOn(sHost, settings));
        await using var s = await TorrentLab.Tests.Infrastructure.Seeder.StartAsync(sSession, built.Torrent, On(sHost, [], null), allowPartial: false);
        // A knows S; B knows only A. A is still downloading its odd pieces from S (slowly: 32 KiB/s, about 8 s), so it stays
        // connected to S and names it to B. (A partial seed would not: S, a full seed, drops a peer that wants nothing,
        // BEP 21.)
        await using var aSession = TorrentLab.Client.TorrentClient.StartSession(sim.SessionOn(aHost, settings));
        using var stopA = new CancellationTokenSource();
        var a = TorrentLab.Client.TorrentClient.DownloadAsync(aSession, built.Torrent, On(aHost, [ListenOf(sHost)], logA) with
        {
            DownloadLimit = new RateLimit(32 * 1024, clock: sim.Clock), SeedAfterDownload = true,
        }, null, stopA.Token);
        await using var bSession = TorrentLab.Client.TorrentClient.StartSession(sim.SessionOn(bHost, settings));
        var result = await TorrentLab.Client.TorrentClient.DownloadAsync(bSession, built.Torrent, On(bHost, [ListenOf(aHost)], logB))
            .WaitAsync(TimeSpan.FromSeconds(30), sim.Clock);
        await stopA.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);

        Assert.Contains(ListenOf(sHost).ToString(), result.PeersUsed);
        Assert.Contains(ListenOf(aHost).ToString(), result.PeersUsed);
        Assert.Contains(logA, line => line.Contains("sent ut_pex added=1", StringComparison.Ordinal));
        Assert.Contains(logB, line => line.Contains("ut_pex named 1 peer(s), 1 new", StringComparison.Ordinal));
        Assert.Equal(Hex(built.Payload), Hex(File.ReadAllBytes(Path.Combine(sim.FolderOf(bHost), "payload.bin"))));
    }

    [Fact]
    public async Task ExtensionHandshake_PublicTorrent_OffersUtPexAndUtMetadataWithTheMetadataSize()
    {
        using var folder = new TempFolder("torrentlab-pex");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        await using var seeder = await Seeder.StartAsync(built.Torrent, Options(folder.Path), ct: Ct);

        using var raw = await RawPeer.ConnectAsync(seeder, built.Torrent);
        var theirs = raw.Theirs;

        Assert.True(theirs.Messages.ContainsKey(ExtensionRegistry.UtPex.Name));
        Assert.True(theirs.Messages.ContainsKey(ExtensionRegistry.UtMetadata.Name));
        Assert.Equal(built.Torrent.RawInfo.Length, theirs.MetadataSize);
        Assert.Equal(seeder.Port, theirs.ListenPort);
    }

    [Fact]
    public async Task ExtensionHandshake_PrivateTorrent_OffersNoUtPex()
    {
        using var folder = new TempFolder("torrentlab-pex");
        var torrent = PrivateTorrent(8 * PieceLength, out var payload);
        Directory.CreateDirectory(folder.Path);
        await File.WriteAllBytesAsync(folder.Combine("private.bin"), payload, Ct);
        await using var seeder = await Seeder.StartAsync(torrent, Options(folder.Path), ct: Ct);

        using var raw = await RawPeer.ConnectAsync(seeder, torrent);
        var theirs = raw.Theirs;

        Assert.True(torrent.IsPrivate);
        Assert.False(theirs.Messages.ContainsKey(ExtensionRegistry.UtPex.Name));   // BEP 27: no PEX at all
        Assert.True(theirs.Messages.ContainsKey(ExtensionRegistry.UtMetadata.Name));
    }

    [Fact]
    public async Task UtMetadata_RequestToOurSeeder_ReturnsTheInfoDictionary()
    {
        using var folder = new TempFolder("torrentlab-pex");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        await using var seeder = await Seeder.StartAsync(built.Torrent, Options(folder.Path), ct: Ct);
        using var raw = await RawPeer.ConnectAsync(seeder, built.Torrent);

        await raw.Channel.SendAsync(ExtensionRegistry.UtMetadata.Name, MetadataMessage.Request(0).Encode(), Ct);
        var answer = await raw.ReceiveAsync(ExtensionRegistry.UtMetadata.Name);

        var data = MetadataMessage.Decode(answer.Payload);
        Assert.Equal(MetadataMessageType.Data, data.Type);
        Assert.Equal(built.Torrent.RawInfo.Length, data.TotalSize);
        Assert.Equal(Hex(built.Torrent.RawInfo.ToArray()), Hex(data.Data.ToArray()));
    }

    [Fact]
    public async Task Pex_PeerConnectedOverUtp_IsAdvertisedWithTheSupportsUtpFlag()
    {
        using var folder = new TempFolder("torrentlab-pex");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        await using var seeder = await Seeder.StartAsync(built.Torrent, Options(folder.Path), ct: Ct);
        await using var socket = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var overUtp = await RawPeer.ConnectAsync(seeder, built.Torrent, socket);
        using var overTcp = await RawPeer.ConnectAsync(seeder, built.Torrent);

        var message = PexMessage.Decode((await overTcp.ReceiveAsync(ExtensionRegistry.UtPex.Name)).Payload);

        var named = Assert.Single(message.Added, p => p.EndPoint.Equals(socket.LocalEndPoint));
        Assert.Equal(PexFlags.SupportsUtp, named.Flags & PexFlags.SupportsUtp);
        Assert.Equal(PexFlags.None, named.Flags & PexFlags.Reachable); // it dialled the seeder, not the other way round
    }

    [Fact]
    public async Task UploadOnly_AFullSeedDropsAPeerThatWantsNothing()
    {
        using var folder = new TempFolder("torrentlab-bep21");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        var log = new ConcurrentQueue<string>();
        await using var seeder = await Seeder.StartAsync(built.Torrent, Options(folder.Path, log: log.Enqueue), ct: Ct);

        using var partial = await RawPeer.ConnectAsync(seeder, built.Torrent, uploadOnly: true);

        Assert.True(await partial.ClosedBySeederAsync());
        await Wait.UntilAsync(() => log.Any(line => line.Contains("upload_only", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), Ct);   // logged as it ends
        Assert.True(log.Any(line => line.Contains("both sides want nothing more (upload_only, BEP 21)", StringComparison.Ordinal)), string.Join("\n", log));
    }

    [Fact]
    public async Task UploadOnly_APartialSeedSaysSoAfterItsBitfield_AndKeepsAnotherPartialSeedForPex()
    {
        using var folder = new TempFolder("torrentlab-bep21");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        await using (var file = File.OpenWrite(folder.Combine("payload.bin")))
        {
            file.Position = 3L * PieceLength;   // piece 3 fails its hash: a partial seed
            file.WriteByte((byte)(built.Payload[3 * PieceLength] ^ 0xFF));
        }
        var log = new ConcurrentQueue<string>();
        await using var partialSeed = await Seeder.StartAsync(built.Torrent, Options(folder.Path, log: log.Enqueue), allowPartial: true, Ct);

        using var other = await RawPeer.ConnectAsync(partialSeed, built.Torrent, uploadOnly: true);
        using var downloader = await RawPeer.ConnectAsync(partialSeed, built.Torrent);

        // The first handshake says nothing of it; the second, once the peer said it is interested, says upload_only.
        Assert.Null(downloader.Theirs.UploadOnly);
        await downloader.Connection.SendAsync(PeerMessage.Interested, Ct);
        await downloader.ReceiveAsync("handshake");
        Assert.True(downloader.Theirs.UploadOnly);
        await other.Connection.SendAsync(PeerMessage.Interested, Ct);
        await other.ReceiveAsync("handshake");
        Assert.True(other.Theirs.UploadOnly);
        await downloader.Channel.SendAsync(ExtensionRegistry.UtPex.Name, new PexMessage().Encode(), Ct);   // still talking
        Assert.DoesNotContain(log, line => line.Contains("upload_only", StringComparison.Ordinal));
    }

    /// <summary>A raw connection with the extension bit set, whose extension handshake (ut_metadata and ut_pex) is sent
    /// and the seeder's received.</summary>
    private sealed class RawPeer(PeerConnection connection, ExtensionChannel channel) : IDisposable
    {
        public ExtensionChannel Channel => channel;
        public PeerConnection Connection => connection;
        public ExtensionHandshake Theirs => channel.Theirs!;

        /// <param name="utp">Dial over this uTP socket (else TCP) and name its port as our listen port (<c>p</c>).</param>
        /// <param name="uploadOnly">Say <c>upload_only</c> (BEP 21) in our handshake.</param>
        public static async Task<RawPeer> ConnectAsync(Seeder seeder, Torrent torrent, UtpSocket? utp = null, bool? uploadOnly = null)
        {
            var options = new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseExtensions = true, IdleTimeout = TimeSpan.FromSeconds(10) };
            var connection = utp is null
                ? await PeerConnection.ConnectAsync(At(seeder), torrent.InfoHash, PeerId.CreateOurs(), options, Ct)
                : await PeerConnection.ConnectAsync(At(seeder), async token => await utp.ConnectAsync(At(seeder), token), torrent.InfoHash,
                    PeerId.CreateOurs(), options, Ct);
            var raw = new RawPeer(connection, new ExtensionChannel(connection, ExtensionHandshake.Ours(At(seeder), utp?.LocalEndPoint.Port, null, pex: true, uploadOnly)));
            try
            {
                Assert.True(await raw.Channel.SendHandshakeAsync(Ct));
                await raw.ReceiveAsync("handshake");
                return raw;
            }
            catch
            {
                raw.Dispose();
                throw;
            }
        }

        /// <summary>Reads messages until an extension message routed as <paramref name="name"/> (at most 100 messages).</summary>
        public async Task<PeerMessage> ReceiveAsync(string name)
        {
            for (var i = 0; i < 100; i++)
            {
                var message = await connection.ReceiveAsync(Ct);
                if (message.Kind == MessageKind.Extended && channel.Route(message) == name) return message;
            }
            throw new InvalidOperationException($"no {name} message in 100 messages");
        }

        /// <summary>Reads until the seeder closes the connection (true) or 100 messages pass (false).</summary>
        public async Task<bool> ClosedBySeederAsync()
        {
            try
            {
                for (var i = 0; i < 100; i++) await connection.ReceiveAsync(Ct);
                return false;
            }
            catch (WireException) { return true; }
            catch (IOException) { return true; }
        }

        public void Dispose() => connection.Dispose();
    }

    /// <summary>A single-file torrent whose info dictionary says <c>private=1</c> (BEP 27).</summary>
    private static Torrent PrivateTorrent(int length, out byte[] payload)
    {
        payload = TestTorrents.Payload(length, seed: 7);
        var info = new BDictionary()
            .Set("length", new BInteger(length))
            .Set("name", new BString("private.bin"))
            .Set("piece length", new BInteger(PieceLength))
            .Set("pieces", new BString(TestTorrents.PieceHashes(payload, PieceLength)))
            .Set("private", new BInteger(1));
        return Torrent.Parse(BencodeWriter.Encode(new BDictionary().Set("info", info)));
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(SHA1.HashData(bytes));
}
