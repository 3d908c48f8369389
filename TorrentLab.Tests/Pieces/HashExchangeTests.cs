using TorrentLab.Creation;
using TorrentLab.Merkle;
using TorrentLab.Metainfo;
using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Pieces;

/// <summary>BEP 52's hash messages on one connection: the requests for missing piece layers, the answers from known
/// ones, and how an answer settles a layer.</summary>
public class HashExchangeTests
{
    private const int PieceLength = 32 * 1024; // two 16 KiB blocks: the piece layer is layer 1

    /// <summary>A v2 torrent of one file of three pieces, the last one short (a layer of width 4: one pad hash) (its piece layer in the .torrent), and the same
    /// torrent as a magnet link's metadata gives it: the info dictionary alone, no piece layers.</summary>
    private static (Torrent Full, Torrent Bare) V2Torrent()
    {
        var payload = new byte[2 * PieceLength + 5_000];
        new Random(52).NextBytes(payload);
        var full = Torrent.Parse(TorrentBuilder.Create("f.bin", payload,
            TorrentCreateOptions.WithTrackers("http://127.0.0.1:1/announce") with { PieceLength = PieceLength, Format = TorrentFormat.V2, CreationDate = null }));
        return (full, Torrent.ParseInfo(full.RawInfo));
    }

    private static byte[] Bytes(PeerMessage message)
    {
        var bytes = new byte[MessageWriter.EncodedLength(message)];
        MessageWriter.Write(message, bytes);
        return bytes;
    }

    [Fact]
    public void RequestMissing_FileWithoutItsLayer_AsksForTheWholePieceLayerOnce()
    {
        var (_, bare) = V2Torrent();
        var exchange = new HashExchange(bare, new PieceCheck(bare));
        var root = Convert.ToHexStringLower(bare.Files[0].PiecesRoot.Span);

        var first = exchange.RequestMissing();
        var second = exchange.RequestMissing();

        // <len=49><id=21><pieces root><base layer 1><index 0><length 4: the layer's width><proof layers 0>
        Assert.Equal("0000003115" + root + "00000001" + "00000000" + "00000004" + "00000000", Convert.ToHexStringLower(Bytes(Assert.Single(first))));
        Assert.Empty(second);
        Assert.True(exchange.Waiting);
    }

    [Fact]
    public void RequestMissing_TorrentWithItsLayers_AsksNothing()
    {
        var (full, _) = V2Torrent();

        Assert.Empty(new HashExchange(full, new PieceCheck(full)).RequestMissing());
    }

    [Fact]
    public void Answer_KnownLayer_SendsItsHashesPaddedToTheWidth_UnknownRoot_IsRejectedWithTheSameHeader()
    {
        var (full, bare) = V2Torrent();
        var request = Assert.Single(new HashExchange(bare, new PieceCheck(bare)).RequestMissing());
        var seeder = new HashExchange(full, new PieceCheck(full));
        var stranger = HashMessages.EncodeRequest(new HashRequest(new byte[32], 1, 0, 4, 0));

        var answer = seeder.Answer(request);
        var reject = seeder.Answer(PeerMessage.HashMessage(MessageKind.HashRequest, stranger.AsMemory(5)));

        Assert.Equal(MessageKind.Hashes, answer.Kind);
        var (_, hashes) = HashMessages.DecodeHashes(answer.Payload);
        var pad = MerkleTree.PadHash(MerkleTree.BlocksPerPiece(PieceLength));
        Assert.Equal(Convert.ToHexStringLower(full.Files[0].PieceLayer.Span) + Convert.ToHexStringLower(pad), Convert.ToHexStringLower(hashes.Span));
        Assert.Equal(MessageKind.HashReject, reject.Kind);
        Assert.Equal(Convert.ToHexStringLower(stranger.AsSpan(5)), Convert.ToHexStringLower(reject.Payload.Span));
    }

    [Fact]
    public void Answer_RequestAfterRequest_ReadsOneTreeBuiltOnceWhoseTopIsThePiecesRoot()
    {
        var (full, bare) = V2Torrent();
        var request = Assert.Single(new HashExchange(bare, new PieceCheck(bare)).RequestMissing());
        var check = new PieceCheck(full);
        var seeder = new HashExchange(full, check);

        seeder.Answer(request);
        var tree = check.TreeOf(0);
        seeder.Answer(request);

        Assert.NotNull(tree);
        Assert.Same(tree, check.TreeOf(0));
        Assert.Equal(Convert.ToHexStringLower(full.Files[0].PiecesRoot.Span), Convert.ToHexStringLower(tree[^1]));
    }

    [Fact]
    public void OnHashes_TheSeedersAnswer_LearnsTheLayerSoThePiecesCanBeVerified()
    {
        var (full, bare) = V2Torrent();
        var check = new PieceCheck(bare);
        var exchange = new HashExchange(bare, check);
        var answer = new HashExchange(full, new PieceCheck(full)).Answer(Assert.Single(exchange.RequestMissing()));
        Assert.False(check.CanVerify(0));

        var outcome = exchange.OnHashes(answer, out var file);

        Assert.Equal(HashesOutcome.Learned, outcome);
        Assert.Equal(0, file);
        Assert.True(check.CanVerify(0));
        Assert.False(exchange.Waiting);
    }

    [Fact]
    public void OnHashes_OneHashChanged_IsWrongAndTheLayerStaysUnknown()
    {
        var (full, bare) = V2Torrent();
        var check = new PieceCheck(bare);
        var exchange = new HashExchange(bare, check);
        var answer = new HashExchange(full, new PieceCheck(full)).Answer(Assert.Single(exchange.RequestMissing()));
        var tampered = answer.Payload.ToArray();
        tampered[48 + 32] ^= 0x01; // the second piece's hash

        var outcome = exchange.OnHashes(PeerMessage.HashMessage(MessageKind.Hashes, tampered), out _);

        Assert.Equal(HashesOutcome.Wrong, outcome);
        Assert.False(check.CanVerify(1));
    }

    [Fact]
    public void OnHashes_NotAskedFor_IsIgnored()
    {
        var (full, bare) = V2Torrent();
        var exchange = new HashExchange(bare, new PieceCheck(bare));
        var seeder = new HashExchange(full, new PieceCheck(full));
        var unasked = seeder.Answer(Assert.Single(new HashExchange(bare, new PieceCheck(bare)).RequestMissing()));

        Assert.Equal(HashesOutcome.Ignored, exchange.OnHashes(unasked, out _));
    }

    [Fact]
    public void OnReject_OfTheLayerAskedFor_StopsWaitingForIt()
    {
        var (_, bare) = V2Torrent();
        var exchange = new HashExchange(bare, new PieceCheck(bare));
        var request = Assert.Single(exchange.RequestMissing());

        exchange.OnReject(PeerMessage.HashMessage(MessageKind.HashReject, request.Payload));

        Assert.False(exchange.Waiting);
    }

    [Fact]
    public void SpeaksV2_UpgradeBitOrTheTruncatedV2Hash_OnlyThen()
    {
        var (_, bare) = V2Torrent();
        var id = PeerId.CreateOurs();

        Assert.True(HashExchange.SpeaksV2(new Handshake(new InfoHash(new byte[20]), id, Handshake.V2UpgradeBit), bare));
        Assert.True(HashExchange.SpeaksV2(new Handshake(bare.InfoHashV2!.Value.Truncated, id, 0), bare));
        Assert.False(HashExchange.SpeaksV2(new Handshake(new InfoHash(new byte[20]), id, 0), bare));
    }
}
