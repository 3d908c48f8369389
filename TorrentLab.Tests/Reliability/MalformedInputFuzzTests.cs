using System.Net;
using System.Net.Sockets;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Reliability;

/// <summary>Mutation fuzzing of every parser that reads untrusted bytes, seeded from the shared corpus, the fixtures and
/// valid messages built by our own encoders. Each input is parsed or rejected with the layer's typed error; never an
/// unhandled exception, a hang or runaway memory (see <see cref="FuzzHarness"/>). CI: about 51,000 inputs in all;
/// TORRENTLAB_RELIABILITY=long: about 1,020,000.</summary>
[Collection(ReliabilityCollection.Name)]
[Trait("Category", ReliabilityMode.Category)]
[Trait("Tier", "Slow")]
public class MalformedInputFuzzTests
{
    private const int Seed = 20250701;

    private static void Report(FuzzHarness.Result result, string scenario)
    {
        ReliabilityReport.Add(result.ToRow(scenario));
        Assert.False(result.Hung, string.Join("\n", result.Lost));
        Assert.True(result.LostCount == 0, $"{result.LostCount} input(s) lost:\n{string.Join("\n", result.Lost)}");
    }

    /// <summary>Every .torrent and raw bencode file of the shared corpus and the fixtures.</summary>
    private static List<byte[]> BencodeSeeds()
    {
        var corpus = TestPaths.RequireSharedCorpus();
        var files = Directory.EnumerateFiles(corpus, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".tsv", StringComparison.Ordinal) && !f.EndsWith(".md", StringComparison.Ordinal)
                        && !f.EndsWith(".sha256", StringComparison.Ordinal) && !f.EndsWith(".json", StringComparison.Ordinal))
            .Concat(Directory.EnumerateFiles(TestPaths.Fixtures, "*.torrent", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count > 100, $"only {files.Count} seed files");
        return files.Select(File.ReadAllBytes).ToList();
    }

    [Fact]
    public void Bencode_MutatedCorpus_DecodesOrThrowsBencodeException()
    {
        var result = FuzzHarness.Run("bencode", ReliabilityMode.Count(15_000, 300_000), Seed, BencodeSeeds(), input =>
        {
            var strict = TryDecode(input, BencodeOptions.Strict);
            TryDecode(input, BencodeOptions.Lenient);
            return strict;
        }, e => e is BencodeException);
        Report(result, "corpus + fixtures mutated, strict and lenient decode");
    }

    private static bool TryDecode(byte[] input, BencodeOptions options)
    {
        try
        {
            BencodeDecoder.Decode(input, options);
            return true;
        }
        catch (BencodeException) { return false; }
    }

    [Fact]
    public void Metainfo_MutatedTorrents_ParseOrThrowTypedErrors()
    {
        var seeds = BencodeSeeds().Where(b => b.Length > 0 && b[0] == (byte)'d').ToList();
        var result = FuzzHarness.Run("metainfo", ReliabilityMode.Count(10_000, 200_000), Seed + 1, seeds, input =>
        {
            var torrent = Torrent.Parse(input);
            // What a download does next with a parsed torrent: lay out its files below an output folder (no I/O yet).
            _ = new StorageLayout(torrent, "/tmp/torrentlab-fuzz-layout");
            return true;
        }, e => e is MetainfoException or BencodeException or StorageException);
        Report(result, "Torrent.Parse + storage layout of mutated corpus torrents");
    }

    /// <summary>BEP 52 seeds: the corpus's v2 and hybrid torrents, the fixtures made by libtorrent, and our own.</summary>
    private static List<byte[]> V2Seeds()
    {
        var seeds = BencodeSeeds().Where(b => b.AsSpan().IndexOf("12:meta versioni2e"u8) >= 0).ToList();
        (IReadOnlyList<string>, ReadOnlyMemory<byte>)[] files =
            [(["a.bin"], TestTorrents.Payload(70_000, 1)), (["d", "b"], TestTorrents.Payload(3_000, 2)), (["e"], Array.Empty<byte>())];
        foreach (var format in new[] { TorrentLab.Creation.TorrentFormat.V2, TorrentLab.Creation.TorrentFormat.Hybrid })
            seeds.Add(TorrentLab.Creation.TorrentBuilder.Create("v2", files, new TorrentLab.Creation.TorrentCreateOptions { PieceLength = 16 * 1024, Format = format }));
        Assert.True(seeds.Count > 20, $"only {seeds.Count} v2 seeds");
        return seeds;
    }

    [Fact]
    public void MetainfoV2_MutatedV2AndHybridTorrents_ParseOrThrowTypedErrors()
    {
        var result = FuzzHarness.Run("metainfo-v2", ReliabilityMode.Count(6_000, 200_000), Seed + 7, V2Seeds(), input =>
        {
            var torrent = Torrent.Parse(input);
            // What a parsed v2 torrent is used for: its layout, its magnet link, and the piece checks of 'verify'.
            _ = new StorageLayout(torrent, "/tmp/torrentlab-fuzz-layout");
            _ = torrent.MagnetLink;
            _ = new PieceCheck(torrent);
            return true;
        }, e => e is MetainfoException or BencodeException or StorageException);
        Report(result, "Torrent.Parse of mutated v2 and hybrid torrents (file tree, piece layers, hybrid checks)");
    }

    [Fact]
    public void HashMessages_MutatedBodies_DecodeOrThrowWireException()
    {
        var request = new HashRequest(new byte[32], 0, 0, 2, 1);
        List<byte[]> seeds = [HashMessages.EncodeRequest(request)[5..], HashMessages.EncodeHashes(request, new byte[96])[5..]];
        var result = FuzzHarness.Run("hash-messages", ReliabilityMode.Count(5_000, 100_000), Seed + 8, seeds, input =>
        {
            var decoded = HashMessages.DecodeHashes(input).Request;
            _ = decoded.Problem(1000);
            _ = HashMessages.UncleCount(decoded);
            return true;
        }, e => e is WireException);
        Report(result, "BEP 52 hashes / hash request bodies mutated");
    }

    /// <summary>Valid HTTP tracker answers: compact and dictionary peers, IPv6, failure, warning, scrape.</summary>
    private static List<byte[]> HttpTrackerSeeds()
    {
        var compact = new byte[6 * 5];
        for (var i = 0; i < 5; i++) { compact[i * 6] = 127; compact[i * 6 + 3] = (byte)(i + 1); compact[i * 6 + 4] = 0x1A; compact[i * 6 + 5] = 0xE1; }
        var compact6 = new byte[18 * 2];
        compact6[15] = 1; compact6[16] = 0x1A; compact6[17] = 0xE1;
        compact6[33] = 1; compact6[34] = 0x1A; compact6[35] = 0xE2;
        var dictPeers = new BList([
            new BDictionary().Set("ip", new BString("127.0.0.1")).Set("port", new BInteger(6881)).Set("peer id", new BString(new byte[20])),
            new BDictionary().Set("ip", new BString("::1")).Set("port", new BInteger(6882)),
            new BDictionary().Set("ip", new BString("tracker.example")).Set("port", new BInteger(6883)),
        ]);
        var hash = Enumerable.Range(0, 20).Select(i => (byte)i).ToArray();
        var seeds = new List<BValue>
        {
            new BDictionary().Set("interval", new BInteger(1800)).Set("min interval", new BInteger(60)).Set("complete", new BInteger(3))
                .Set("incomplete", new BInteger(7)).Set("peers", new BString(compact)).Set("tracker id", new BString("abc")),
            new BDictionary().Set("interval", new BInteger(900)).Set("peers", dictPeers).Set("warning message", new BString("slow down")),
            new BDictionary().Set("interval", new BInteger(900)).Set("peers", new BString(Array.Empty<byte>())).Set("peers6", new BString(compact6)),
            new BDictionary().Set("failure reason", new BString("torrent not registered")),
            new BDictionary().Set("files", new BDictionary().Set(hash, new BDictionary()
                .Set("complete", new BInteger(5)).Set("downloaded", new BInteger(50)).Set("incomplete", new BInteger(2)))),
        };
        var list = seeds.Select(BencodeWriter.Encode).ToList();
        if (TestPaths.SharedCorpus is { } corpus && File.Exists(Path.Combine(corpus, "node-bencode", "announce-compacted-peers.bin")))
            list.Add(File.ReadAllBytes(Path.Combine(corpus, "node-bencode", "announce-compacted-peers.bin")));
        return list;
    }

    [Fact]
    public void HttpTrackerAnswers_Mutated_ParseOrThrowTrackerException()
    {
        var hash = new InfoHash(Enumerable.Range(0, 20).Select(i => (byte)i).ToArray());
        var result = FuzzHarness.Run("tracker (HTTP)", ReliabilityMode.Count(8_000, 160_000), Seed + 2, HttpTrackerSeeds(), input =>
        {
            var announced = Accepts(() => HttpTrackerResponse.ParseAnnounce(input));
            var scraped = Accepts(() => HttpTrackerResponse.ParseScrape(input, hash));
            return announced || scraped;
        }, e => e is TrackerException);
        Report(result, "bencoded announce and scrape answers mutated");
    }

    private static bool Accepts(Action parse)
    {
        try
        {
            parse();
            return true;
        }
        catch (TrackerException) { return false; }
    }

    /// <summary>Valid BEP 15 datagrams of both directions.</summary>
    private static List<byte[]> UdpSeeds()
    {
        IPEndPoint[] peers = [new(IPAddress.Loopback, 6881), new(IPAddress.Parse("127.0.0.2"), 51413)];
        var hash = new InfoHash(new byte[20]);
        var request = new AnnounceRequest(hash, PeerId.CreateOurs(), 6881, 1, 2, 3, AnnounceEvent.Started);
        return
        [
            UdpTrackerMessages.ConnectResponse(7, 0x1234_5678_9abc),
            UdpTrackerMessages.AnnounceResponse(7, 1800, 3, 4, peers, AddressFamily.InterNetwork),
            UdpTrackerMessages.AnnounceResponse(7, 1800, 3, 4, [new IPEndPoint(IPAddress.IPv6Loopback, 6881)], AddressFamily.InterNetworkV6),
            UdpTrackerMessages.ScrapeResponse(7, [new ScrapeResult(1, 2, 3)]),
            UdpTrackerMessages.ErrorResponse(7, "unknown torrent"),
            UdpTrackerMessages.ConnectRequest(7),
            UdpTrackerMessages.AnnounceRequest(0x1234_5678_9abc, 7, request),
            UdpTrackerMessages.ScrapeRequest(0x1234_5678_9abc, 7, [hash, hash]),
        ];
    }

    [Fact]
    public void UdpTrackerDatagrams_Mutated_ParseOrThrowTrackerException()
    {
        var result = FuzzHarness.Run("tracker (UDP)", ReliabilityMode.Count(8_000, 160_000), Seed + 3, UdpSeeds(), input =>
        {
            // As the client reads an answer: header first, then the body its action announces.
            var accepted = false;
            if (UdpTrackerMessages.TryReadResponseHeader(input, out var action, out _))
            {
                accepted = action switch
                {
                    UdpTrackerMessages.ActionConnect => Accepts(() => UdpTrackerMessages.ReadConnectResponse(input)),
                    UdpTrackerMessages.ActionAnnounce => Accepts(() => UdpTrackerMessages.ReadAnnounceResponse(input, AddressFamily.InterNetwork))
                                                         | Accepts(() => UdpTrackerMessages.ReadAnnounceResponse(input, AddressFamily.InterNetworkV6)),
                    UdpTrackerMessages.ActionScrape => Accepts(() => UdpTrackerMessages.ReadScrapeResponse(input, 1)),
                    UdpTrackerMessages.ActionError => UdpTrackerMessages.ReadErrorMessage(input) is not null,
                    _ => false,
                };
            }
            // As the tracker reads a request.
            if (UdpTrackerMessages.TryReadRequestHeader(input, out _, out var requestAction, out _))
            {
                accepted |= requestAction switch
                {
                    UdpTrackerMessages.ActionAnnounce => Accepts(() => UdpTrackerMessages.ReadAnnounceRequest(input)),
                    UdpTrackerMessages.ActionScrape => Accepts(() => UdpTrackerMessages.ReadScrapeRequest(input)),
                    _ => true,
                };
            }
            return accepted;
        }, e => e is TrackerException);
        Report(result, "connect/announce/scrape/error datagrams mutated, both directions");
    }

    /// <summary>A valid message stream (every BEP 3 id, a port, an extension message) and a handshake.</summary>
    private static List<byte[]> WireSeeds()
    {
        var pieces = new Bitfield(10);
        pieces.Set(0);
        pieces.Set(9);
        PeerMessage[] messages =
        [
            PeerMessage.BitfieldOf(pieces), PeerMessage.Unchoke, PeerMessage.Interested, PeerMessage.Have(3),
            PeerMessage.Request(2, 16384, 16384), PeerMessage.Piece(2, 0, new byte[64]), PeerMessage.Cancel(2, 16384, 16384),
            PeerMessage.Choke, PeerMessage.NotInterested, PeerMessage.KeepAlive, PeerMessage.PortOf(6881),
            PeerMessage.UnknownOf(20, new byte[] { 0, (byte)'d', (byte)'e' }),
            PeerMessage.HaveAll, PeerMessage.HaveNone, PeerMessage.Suggest(4), PeerMessage.Reject(2, 16384, 16384), PeerMessage.AllowedFast(5), // BEP 6
        ];
        var stream = messages.SelectMany(m => MessageWriter.ToBytes(m)).ToArray();
        var handshake = new Handshake(new InfoHash(new byte[20]), PeerId.CreateOurs(), Handshake.ExtensionProtocolBit).ToBytes();
        return [stream, handshake, [.. handshake, .. stream], MessageWriter.ToBytes(PeerMessage.Piece(9, 0, new byte[16384]))];
    }

    [Fact]
    public void PeerMessagesAndHandshakes_Mutated_ReadOrThrowWireException()
    {
        var result = FuzzHarness.Run("wire", ReliabilityMode.Count(8_000, 160_000), Seed + 4, WireSeeds(), input =>
        {
            var handshake = false;
            try { handshake = Handshake.TryRead(input, out _); }
            catch (WireException) { }
            // Read the stream as a connection does: message after message until one is incomplete.
            var memory = (ReadOnlyMemory<byte>)input;
            var read = 0;
            foreach (var pieceCount in new[] { 10, -1 })
            {
                var rest = memory;
                try
                {
                    while (MessageReader.TryRead(rest, pieceCount, WireLimits.BlockLength, out _, out var consumed))
                    {
                        rest = rest[consumed..];
                        read++;
                    }
                }
                catch (WireException) { }
            }
            return handshake || read > 0;
        }, e => e is WireException);
        Report(result, "message streams and handshakes mutated");
    }

    /// <summary>What an MSE/PE initiator sends to a receiver whose private key is <see cref="MseReceiverKey"/>: Ya, PadA,
    /// HASH('req1', S), the obfuscated SKEY, then RC4(VC, crypto_provide, len(PadC), PadC, len(IA), IA) and an encrypted
    /// message, with several paddings and offers. Unmutated, each completes the handshake.</summary>
    private static List<byte[]> MseSeeds(InfoHash hash)
    {
        var receiver = new MseKeyExchange(MseReceiverKey);
        var seeds = new List<byte[]>();
        foreach (var (padA, provide, padC, ia) in new[] { (0, 3u, 0, 0), (512, 2u, 17, 68), (40, 1u, 512, 3) })
        {
            var initiator = new MseKeyExchange(Enumerable.Range(1, 20).Select(i => (byte)(i * 7)).ToArray());
            var secret = initiator.SharedSecret(receiver.PublicKey);
            var encrypt = new Rc4(MseKeyExchange.Hash("keyA", secret, hash.Bytes));
            var plain = new byte[8 + 4 + 2 + padC + 2 + ia + 9]; // 9: the have message that follows
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(8), provide);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(plain.AsSpan(12), (ushort)padC);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(plain.AsSpan(14 + padC), (ushort)ia);
            MessageWriter.ToBytes(PeerMessage.Have(1)).CopyTo(plain.AsSpan(16 + padC + ia));
            encrypt.Apply(plain);
            seeds.Add([.. initiator.PublicKey, .. new byte[padA], .. MseKeyExchange.Hash("req1", secret),
                .. MseKeyExchange.ObfuscatedSkey(hash.Bytes, secret), .. plain]);
        }
        return seeds;
    }

    private static readonly byte[] MseReceiverKey = Enumerable.Range(1, 20).Select(i => (byte)(255 - i)).ToArray();

    [Fact]
    public void MseHandshakes_Mutated_CompleteOrThrowWireException()
    {
        var hash = new InfoHash(Enumerable.Range(0, 20).Select(i => (byte)(i * 3)).ToArray());
        var receiver = new MseKeyExchange(MseReceiverKey);
        var result = FuzzHarness.Run("MSE/PE receiver", ReliabilityMode.Count(2_000, 40_000), Seed + 6, MseSeeds(hash), input =>
        {
            // The bytes arrive in small reads, as from a socket; whatever the receiver writes goes nowhere.
            using var stream = new ReplayStream(input, chunk: 37);
            var done = MseHandshake.ReceiveAsync(stream, ReadOnlyMemory<byte>.Empty, [hash], EncryptionPolicy.Prefer, "fuzz",
                padding: 0, ct: CancellationToken.None, keys: receiver).GetAwaiter().GetResult();
            return done.Method != ConnectionEncryption.None;
        }, e => e is WireException);
        Report(result, "encrypted handshakes (Ya, padding, req1, SKEY, RC4 fields) mutated");
    }

    [Fact]
    public async Task MseSeeds_Unmutated_CompleteTheHandshake()
    {
        var hash = new InfoHash(Enumerable.Range(0, 20).Select(i => (byte)(i * 3)).ToArray());
        foreach (var seed in MseSeeds(hash))
        {
            using var stream = new ReplayStream(seed, chunk: 37);
            var done = await MseHandshake.ReceiveAsync(stream, ReadOnlyMemory<byte>.Empty, [hash], EncryptionPolicy.Prefer, "seed",
                padding: 0, ct: TestContext.Current.CancellationToken, keys: new MseKeyExchange(MseReceiverKey));
            Assert.Equal(hash, done.InfoHash);
        }
    }

    /// <summary>A stream that returns <paramref name="input"/> in reads of at most <paramref name="chunk"/> bytes, then
    /// end of stream; writes are discarded.</summary>
    private sealed class ReplayStream(byte[] input, int chunk) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => input.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), input.Length - _position);
            input.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = Math.Min(Math.Min(buffer.Length, chunk), input.Length - _position);
            input.AsSpan(_position, n).CopyTo(buffer.Span);
            _position += n;
            return ValueTask.FromResult(n);
        }
        public override void Write(byte[] buffer, int offset, int count) { }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => ValueTask.CompletedTask;
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>One datagram of each uTP type, a selective ack, libtorrent's close-reason extension and a payload.</summary>
    private static List<byte[]> UtpSeeds() =>
    [
        UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Syn, 0x1000, 1, 0, 0, 100, 0)),
        UtpPacket.ToBytes(new UtpHeader(UtpPacketType.State, 0x1000, 2, 30, 1 << 20, 5000, 100), [0x07, 0, 0, 0]),
        UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Data, 0x1000, 3, 40, 1 << 20, 5000, 101), payload: new byte[64]),
        UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Fin, 0x1000, 4, 50, 1 << 20, 5001, 101)),
        UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Reset, 0x1000, 5, 0, 0, 7, 101)),
        Convert.FromHexString("0101100000000001000000020001000013880065030400000002000400000003" + "6f6b"),
    ];

    [Fact]
    public void UtpDatagrams_Mutated_DecodeOrThrowUtpException_AndAConnectionSurvivesThemAll()
    {
        // What the socket does with a datagram: decode it, then hand it to the connection it names.
        var peer = new IPEndPoint(IPAddress.Loopback, 6881);
        var syn = UtpPacket.Decode(UtpSeeds()[0]);
        var connection = UtpConnection.Accept(peer, syn, 5000, new UtpOptions(), UtpClock.NowMicros, _ => { });
        var result = FuzzHarness.Run("utp", ReliabilityMode.Count(8_000, 160_000), Seed + 9, UtpSeeds(), input =>
        {
            var packet = UtpPacket.Decode(input);
            connection.OnPacket(packet);
            connection.Tick();
            return true;
        }, e => e is UtpException);
        Report(result, "datagrams of every type mutated, decoded and fed to one connection");
    }

    [Fact]
    public void ResumeLedgers_Mutated_ValidateNeverThrowsAndNeverTrustsAForeignShape()
    {
        using var folder = new TempFolder("torrentlab-fuzz-ledger");
        var built = TestTorrents.MultiFile([("a.bin", 40_000), ("b.bin", 30_000)], pieceLength: 16 * 1024, name: "folder");
        built.WritePayload(folder.Path);
        var ledger = new ResumeLedger(built.Torrent, folder.Path);
        var some = new Bitfield(built.Torrent.PieceCount);
        some.Set(0);
        some.Set(3);
        ledger.Save(some);
        var original = File.ReadAllBytes(ledger.FilePath);
        var trustedOther = 0;

        var result = FuzzHarness.Run("resume ledger", ReliabilityMode.Count(2_000, 40_000), Seed + 5, [original], input =>
        {
            File.WriteAllBytes(ledger.FilePath, input);
            var check = ledger.Validate();
            if (!check.IsTrusted) return false;
            // Trusted: it must still describe this torrent's pieces (a mutation may only flip which pieces are listed).
            Assert.Equal(built.Torrent.PieceCount, check.Trusted!.Length);
            if (!check.Trusted.ToBytes().AsSpan().SequenceEqual(some.ToBytes())) Interlocked.Increment(ref trustedOther);
            return true;
        }, _ => false);
        ReliabilityReport.Add(result.ToRow($"ledger JSON mutated, Validate(); {trustedOther} trusted with another piece set"));
        Assert.False(result.Hung, string.Join("\n", result.Lost));
        Assert.True(result.LostCount == 0, $"{result.LostCount} input(s) lost:\n{string.Join("\n", result.Lost)}");
    }
}
