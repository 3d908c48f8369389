using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using TorrentLab.Bencode;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
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
        OutputDirectory = output,
        ListenPort = 0,
        BindAddress = IPAddress.Loopback,
        Trackers = [],
        ExtraPeers = peers ?? [],
        Log = log,
        StallTimeout = TimeSpan.FromSeconds(20),
        RequestTimeout = TimeSpan.FromSeconds(2),
        ConnectTimeout = TimeSpan.FromSeconds(3),
        HandshakeTimeout = TimeSpan.FromSeconds(3),
        LedgerInterval = TimeSpan.FromMilliseconds(300),
    };

    private static IPEndPoint At(Seeder seeder) => new(IPAddress.Loopback, seeder.Port);

    [Fact]
    public async Task Download_PeerKnownOnlyThroughPex_IsDialledAndDeliversThePiecesOthersLack()
    {
        using var folder = new TempFolder("torrentlab-pex");
        var built = TestTorrents.SingleFile(32 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Combine("s"));
        built.WritePayload(folder.Combine("a"));
        // A holds only the even pieces (the odd ones are corrupted), so B cannot finish without S.
        await using (var file = File.OpenWrite(folder.Combine("a", "payload.bin")))
            for (var piece = 1; piece < built.Torrent.PieceCount; piece += 2)
            {
                file.Position = (long)piece * PieceLength;
                file.WriteByte((byte)(built.Payload[piece * PieceLength] ^ 0xFF));
            }
        var logA = new ConcurrentQueue<string>();
        var logB = new ConcurrentQueue<string>();

        await using var s = await Seeder.StartAsync(built.Torrent, Options(folder.Combine("s")), ct: Ct);
        // A knows S; B knows only A. A is a partial seeder, so it stays connected to S (neither side is complete).
        await using var a = await Seeder.StartAsync(built.Torrent, Options(folder.Combine("a"), [At(s)], logA.Enqueue), allowPartial: true, Ct);
        var result = await SwarmDownload.RunAsync(built.Torrent, Options(folder.Combine("b"), [At(a)], logB.Enqueue), null, Ct)
            .WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(built.Torrent.PieceCount / 2, a.PiecesAvailable);
        Assert.Contains(At(s).ToString(), result.PeersUsed);
        Assert.Contains(At(a).ToString(), result.PeersUsed);
        Assert.Contains(logA, line => line.Contains("sent ut_pex added=1", StringComparison.Ordinal));
        Assert.Contains(logB, line => line.Contains("ut_pex named 1 peer(s), 1 new", StringComparison.Ordinal));
        Assert.Equal(Hex(built.Payload), Hex(File.ReadAllBytes(folder.Combine("b", "payload.bin"))));
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

        Assert.True(theirs.Messages.ContainsKey(ExtensionIds.UtPexName));
        Assert.True(theirs.Messages.ContainsKey(ExtensionIds.UtMetadataName));
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
        Assert.False(theirs.Messages.ContainsKey(ExtensionIds.UtPexName));   // BEP 27: no PEX at all
        Assert.True(theirs.Messages.ContainsKey(ExtensionIds.UtMetadataName));
    }

    [Fact]
    public async Task UtMetadata_RequestToOurSeeder_ReturnsTheInfoDictionary()
    {
        using var folder = new TempFolder("torrentlab-pex");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        await using var seeder = await Seeder.StartAsync(built.Torrent, Options(folder.Path), ct: Ct);
        using var raw = await RawPeer.ConnectAsync(seeder, built.Torrent);

        await raw.Channel.SendAsync(ExtensionIds.UtMetadataName, MetadataMessage.Request(0).Encode(), Ct);
        var answer = await raw.ReceiveAsync(ExtensionIds.UtMetadataName);

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

        var message = PexMessage.Decode((await overTcp.ReceiveAsync(ExtensionIds.UtPexName)).Payload);

        var named = Assert.Single(message.Added, p => p.EndPoint.Equals(socket.LocalEndPoint));
        Assert.Equal(PexFlags.SupportsUtp, named.Flags & PexFlags.SupportsUtp);
        Assert.Equal(PexFlags.None, named.Flags & PexFlags.Reachable); // it dialled the seeder, not the other way round
    }

    /// <summary>A raw connection with the extension bit set, whose extension handshake (ut_metadata and ut_pex) is sent
    /// and the seeder's received.</summary>
    private sealed class RawPeer(PeerConnection connection, ExtensionChannel channel) : IDisposable
    {
        public ExtensionChannel Channel => channel;
        public ExtensionHandshake Theirs => channel.Theirs!;

        /// <param name="utp">Dial over this uTP socket (else TCP) and name its port as our listen port (<c>p</c>).</param>
        public static async Task<RawPeer> ConnectAsync(Seeder seeder, Torrent torrent, UtpSocket? utp = null)
        {
            var options = new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseExtensions = true, IdleTimeout = TimeSpan.FromSeconds(10) };
            var connection = utp is null
                ? await PeerConnection.ConnectAsync(At(seeder), torrent.InfoHash, PeerId.CreateOurs(), options, Ct)
                : await PeerConnection.ConnectAsync(At(seeder), async token => await utp.ConnectAsync(At(seeder), token), torrent.InfoHash,
                    PeerId.CreateOurs(), options, Ct);
            var raw = new RawPeer(connection, new ExtensionChannel(connection, ExtensionHandshake.Ours(At(seeder), utp?.LocalEndPoint.Port, null, pex: true)));
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
