using System.Net;
using TorrentLab.Extensions;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Extensions;

public class ExtensionRegistryTests
{
    [Fact]
    public void All_NamesAreUnique_AndMessageIdsAreUniqueAndNotTheHandshakes()
    {
        Assert.Equal(ExtensionRegistry.All.Count, ExtensionRegistry.All.Select(e => e.Name).Distinct().Count());
        var ids = ExtensionRegistry.All.Where(e => e.Id != 0).Select(e => e.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(ExtensionIds.Handshake, ids);   // BEP 10: 0 is the handshake
    }

    [Theory]
    [InlineData("ut_metadata", 3)]
    [InlineData("ut_pex", 4)]
    [InlineData("lt_donthave", 5)]
    [InlineData("ut_holepunch", 6)]
    [InlineData("lt_tex", 7)]
    [InlineData("upload_only", 0)]    // a handshake key, not a message
    public void Find_KnowsEachExtensionUnderOurId(string name, byte id)
    {
        var extension = ExtensionRegistry.Find(name);

        Assert.NotNull(extension);
        Assert.Equal(id, extension.Id);
    }

    [Fact]
    public void Find_UnknownName_IsNull() => Assert.Null(ExtensionRegistry.Find("x_unknown"));

    [Fact]
    public void Offered_PrivateTorrent_HasNeitherPexNorHolepunch()
    {
        // BEP 27: a private torrent "MUST NOT" use PEX; BEP 55 rides on PEX.
        Assert.Equal(["lt_donthave", "ut_metadata"], ExtensionRegistry.Offered(pex: false).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["lt_donthave", "lt_tex", "ut_holepunch", "ut_metadata", "ut_pex"], ExtensionRegistry.Offered(pex: true).Keys.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("upload_only", ExtensionRegistry.Offered(pex: true).Keys);   // not in m
    }

    [Fact]
    public void DontHave_Encode_IsTheIndexBigEndian() =>
        Assert.Equal(Convert.FromHexString("00010203"), DontHaveExtension.Encode(0x00010203));

    [Theory]
    [InlineData("000001")]       // three bytes
    [InlineData("0000000100")]   // five bytes
    [InlineData("0000000a")]     // piece 10 of a torrent of 10
    public void DontHave_Receive_MalformedOrOutOfRange_Throws(string hex)
    {
        var peer = new RecordingPeer { PieceCount = 10 };

        Assert.Throws<ExtensionException>(() => ((IExtension)ExtensionRegistry.LtDonthave).Receive(peer, Convert.FromHexString(hex)));
        Assert.Empty(peer.Lost);
    }

    [Fact]
    public void DontHave_Receive_RoundTripsThePieceToThePeer()
    {
        var peer = new RecordingPeer { PieceCount = 10 };

        ((IExtension)ExtensionRegistry.LtDonthave).Receive(peer, DontHaveExtension.Encode(9));

        Assert.Equal([9], peer.Lost);
    }

    [Fact]
    public void UploadOnly_OnHandshake_ReportsTheKeyOnlyWhenPresent()
    {
        var peer = new RecordingPeer();
        IExtension uploadOnly = ExtensionRegistry.UploadOnly;

        uploadOnly.OnHandshake(peer, new ExtensionHandshake());                        // absent: nothing
        uploadOnly.OnHandshake(peer, new ExtensionHandshake { UploadOnly = true });
        uploadOnly.OnHandshake(peer, new ExtensionHandshake { UploadOnly = false });

        Assert.Equal([true, false], peer.UploadOnly);
    }

    [Fact]
    public void UploadOnly_Announce_AddsTheKeyToOurHandshake()
    {
        var ours = ExtensionHandshake.Ours(new IPEndPoint(IPAddress.Loopback, 1), null, null, pex: false);

        Assert.Equal(ExtensionHandshake.Ours(new IPEndPoint(IPAddress.Loopback, 1), null, null, pex: false, uploadOnly: true).Encode(),
            UploadOnlyExtension.Announce(ours).Encode());
    }

    [Fact]
    public void Pex_OnHandshake_PrivateTorrent_StartsNothing()
    {
        var peer = new RecordingPeer { IsPrivate = true };

        ((IExtension)ExtensionRegistry.UtPex).OnHandshake(peer, new ExtensionHandshake { Messages = new Dictionary<string, byte> { ["ut_pex"] = 1 } });

        Assert.Equal(0, peer.PexStarts);
    }

    private static IExtension Tex => ExtensionRegistry.Find("lt_tex")!;

    private static readonly Dictionary<string, byte> OffersTex = new() { ["lt_tex"] = 9 };

    [Fact]
    public void TrackerExchange_Encode_IsADictionaryOfTheAddedList() =>
        Assert.Equal("d5:addedl17:http://a/announce9:udp://b:1ee"u8.ToArray(), TrackerExchangeExtension.Encode(["http://a/announce", "udp://b:1"]));

    [Fact]
    public void TrackerExchange_Decode_KeepsWhatLooksLikeATracker_AndAtMostTwenty()
    {
        var many = Enumerable.Range(0, 30).Select(i => $"http://t{i}/announce");
        var payload = TrackerExchangeExtension.Encode(["ftp://x/announce", "http://a/announce\n", "not a url", "udp://b:1/", "http://a/announce",
            "http://" + new string('a', 600) + "/announce", .. many]);

        var trackers = TrackerExchangeExtension.Decode(payload);

        Assert.Equal(["udp://b:1/", "http://a/announce", .. Enumerable.Range(0, 18).Select(i => $"http://t{i}/announce")], trackers);
        Assert.Equal(TrackerExchangeExtension.MaxTrackers, trackers.Count);
    }

    [Theory]
    [InlineData("6c6565")]                 // a list, not a dictionary
    [InlineData("64353a616464656469316565")] // added: an integer
    [InlineData("6435")]                   // cut short
    public void TrackerExchange_Decode_Malformed_Throws(string hex) =>
        Assert.Throws<ExtensionException>(() => TrackerExchangeExtension.Decode(Convert.FromHexString(hex)));

    [Fact]
    public void TrackerExchange_OnHandshake_TellsAPeerThatOffersIt_OurTrackersOnce()
    {
        var peer = new RecordingPeer { Torrent = WithTracker("udp://b:1") };
        var silent = new RecordingPeer { Torrent = WithTracker("http://a/announce") };

        Tex.OnHandshake(peer, new ExtensionHandshake { Messages = OffersTex });
        Tex.OnHandshake(peer, new ExtensionHandshake { Messages = OffersTex, UploadOnly = true }); // a later handshake
        Tex.OnHandshake(silent, new ExtensionHandshake { Messages = new Dictionary<string, byte> { ["ut_pex"] = 1 } });

        var answer = Assert.Single(peer.Answers);
        Assert.Equal(["udp://b:1"], TrackerExchangeExtension.Decode(answer));
        Assert.Empty(silent.Answers);
    }

    [Fact]
    public void TrackerExchange_OnHandshake_PrivateTorrent_TellsNothing()
    {
        var peer = new RecordingPeer { Torrent = WithTracker("http://a/announce"), IsPrivate = true };

        Tex.OnHandshake(peer, new ExtensionHandshake { Messages = OffersTex });

        Assert.Empty(peer.Answers);
    }

    [Fact]
    public void TrackerExchange_Receive_LogsOnlyTheTrackersWeDoNotHave()
    {
        var peer = new RecordingPeer { Torrent = WithTracker("http://a/announce") };

        Tex.Receive(peer, TrackerExchangeExtension.Encode(["http://a/announce"]));
        Tex.Receive(peer, TrackerExchangeExtension.Encode(["http://a/announce", "udp://c:2"]));

        var line = Assert.Single(peer.Lines);
        Assert.EndsWith(": udp://c:2", line, StringComparison.Ordinal);
        Assert.Contains("not announced to", line, StringComparison.Ordinal);
    }

    [Fact]
    public void TrackerExchange_Receive_APeerRepeatingItself_IsLoggedOnce_AndAtMostTwentyTrackersInAll()
    {
        var peer = new RecordingPeer { Torrent = WithTracker("http://a/announce") };
        var other = new RecordingPeer { Torrent = WithTracker("http://a/announce") };

        for (var i = 0; i < 50; i++) Tex.Receive(peer, TrackerExchangeExtension.Encode(["udp://c:2"]));
        for (var i = 0; i < 30; i++) Tex.Receive(peer, TrackerExchangeExtension.Encode([$"udp://t{i}:1"]));
        Tex.Receive(other, TrackerExchangeExtension.Encode(["udp://c:2"]));

        Assert.Equal(TrackerExchangeExtension.MaxTrackers, peer.Lines.Count); // c, then t0..t18: a hostile peer cannot fill the log
        Assert.EndsWith(": udp://c:2", peer.Lines[0], StringComparison.Ordinal);
        Assert.EndsWith(": udp://t18:1", peer.Lines[^1], StringComparison.Ordinal);
        Assert.Single(other.Lines); // counted per peer
    }

    private static TorrentLab.Metainfo.Torrent WithTracker(string url) =>
        TestTorrents.SingleFile(1024, pieceLength: 1024, name: "t.bin", announce: url, seed: 1).Torrent;

    /// <summary>The swarm's side of a handler, recorded; only what these tests reach is implemented.</summary>
    private sealed class RecordingPeer : IExtensionPeer
    {
        public List<int> Lost { get; } = [];
        public List<bool> UploadOnly { get; } = [];
        public List<byte[]> Answers { get; } = [];
        public List<string> Lines { get; } = [];
        public TorrentLab.Metainfo.Torrent Torrent { get; init; } = null!;
        public int PexStarts { get; private set; }
        public bool IsPrivate { get; init; }
        public int PieceCount { get; init; }
        public bool Outgoing => false;
        public PexState? Pex => null;
        public ExtensionChannel Channel => throw new InvalidOperationException("no connection in this test");
        public MetadataServer Metadata => throw new InvalidOperationException("no metadata in this test");
        public void Answer(IExtension extension, ReadOnlyMemory<byte> payload) => Answers.Add(payload.ToArray());
        public void Log(string line) => Lines.Add(line);
        public void StartPex() => PexStarts++;
        public void OnPexLearned(IReadOnlyList<PexPeer> peers) => throw new InvalidOperationException("no PEX in this test");
        public void OnPieceLost(int index) => Lost.Add(index);
        public void OnHolepunch(ReadOnlyMemory<byte> payload) => throw new InvalidOperationException("no holepunch in this test");
        public void OnHolepunchReady() => throw new InvalidOperationException("no holepunch in this test");
        public void OnUploadOnly(bool uploadOnly) => UploadOnly.Add(uploadOnly);
    }
}
