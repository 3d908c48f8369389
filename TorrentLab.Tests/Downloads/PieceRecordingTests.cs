using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Downloads;

/// <summary>A recorded download (<c>PieceRecorder.cs</c>, <c>PieceRecording.cs</c>): an event per piece that changed
/// between maps, with its time and sender; saved as JSON and read back; the map at any moment; a file that is not a
/// recording refused with what and where.</summary>
public class PieceRecordingTests
{
    private static readonly TestTorrents.Built Built = TestTorrents.SingleFile(length: 4 * 16384, pieceLength: 16384);

    private static PieceStates Map(string digits, PieceSenders? senders = null)
    {
        var have = new Bitfield(digits.Length);
        for (var i = 0; i < digits.Length; i++) if (digits[i] == '2') have.Set(i);
        var map = PieceStates.From(have, Enumerable.Range(0, digits.Length).Where(i => digits[i] == '1'), Enumerable.Range(0, digits.Length).Where(i => digits[i] == '3'));
        return map.WithSenders(senders);
    }

    /// <summary>Three maps: piece 0 on disk at the start; 1 and 2 requested; 1 verified from A, 2 failed; 2 from B (and A).</summary>
    private static PieceRecording ThreeMaps()
    {
        var table = new PieceSenderTable(4);
        var recorder = new PieceRecorder(Built.Torrent);
        recorder.Observe(Map("2000"), TimeSpan.Zero);
        recorder.Observe(Map("2110"), TimeSpan.FromMilliseconds(500));
        table.Record(1, "127.0.0.1:7000", "A 1.0", several: false);
        recorder.Observe(Map("2230", table.Snapshot()), TimeSpan.FromSeconds(1));
        table.Record(2, "127.0.0.1:7001", "B 2.0", several: true);
        recorder.Observe(Map("2220", table.Snapshot()), TimeSpan.FromSeconds(2));
        return recorder.ToRecording();
    }

    [Fact]
    public void Recorder_ThreeMaps_AnEventPerPieceThatChanged_WithItsSender()
    {
        var recording = ThreeMaps();

        Assert.Equal(
        [
            new PieceEvent(TimeSpan.Zero, 0, PieceState.Verified, -1, false), // on disk at the start: no sender known
            new PieceEvent(TimeSpan.FromMilliseconds(500), 1, PieceState.Requested, -1, false),
            new PieceEvent(TimeSpan.FromMilliseconds(500), 2, PieceState.Requested, -1, false),
            new PieceEvent(TimeSpan.FromSeconds(1), 1, PieceState.Verified, 0, false),
            new PieceEvent(TimeSpan.FromSeconds(1), 2, PieceState.Failed, -1, false),
            new PieceEvent(TimeSpan.FromSeconds(2), 2, PieceState.Verified, 1, true),
        ], recording.Events);
        Assert.Equal([new PieceSender("127.0.0.1:7000", "A 1.0"), new PieceSender("127.0.0.1:7001", "B 2.0")], recording.Senders);
        Assert.Equal(TimeSpan.FromSeconds(2), recording.Duration);
        Assert.Equal(Built.Torrent.InfoHash.Hex, recording.InfoHash);
    }

    [Fact]
    public void Recorder_APieceVerifiedBeforeItsSenderIsKnown_IsToldAgainWithItsSender()
    {
        var table = new PieceSenderTable(4);
        var recorder = new PieceRecorder(Built.Torrent);
        recorder.Observe(Map("0100"), TimeSpan.Zero);
        recorder.Observe(Map("0200"), TimeSpan.FromSeconds(1)); // verified; the map's senders not made yet
        table.Record(1, "127.0.0.1:7000", "A 1.0", several: false);
        recorder.Observe(Map("0200", table.Snapshot()), TimeSpan.FromSeconds(2));
        recorder.Observe(Map("0200", table.Snapshot()), TimeSpan.FromSeconds(3)); // nothing new

        Assert.Equal(
        [
            new PieceEvent(TimeSpan.Zero, 1, PieceState.Requested, -1, false),
            new PieceEvent(TimeSpan.FromSeconds(1), 1, PieceState.Verified, -1, false),
            new PieceEvent(TimeSpan.FromSeconds(2), 1, PieceState.Verified, 0, false),
        ], recorder.ToRecording().Events);
    }

    [Fact]
    public void MapAt_AMoment_AppliesEveryEventUpToIt()
    {
        var recording = ThreeMaps();

        Assert.Equal("0000", recording.MapAt(TimeSpan.FromMilliseconds(-1)).ToDigits());
        Assert.Equal("2110", recording.MapAt(TimeSpan.FromMilliseconds(999)).ToDigits());
        var atOne = recording.MapAt(TimeSpan.FromSeconds(1));
        Assert.Equal("2230", atOne.ToDigits());
        Assert.Equal(0, atOne.Senders!.PeerOf(1));
        Assert.Equal(-1, atOne.Senders.PeerOf(2));
        var end = recording.MapAt(recording.Duration);
        Assert.Equal(1, end.Senders!.PeerOf(2));
        Assert.True(end.Senders.FromSeveral(2));
    }

    [Fact]
    public void Json_RoundTrip_KeepsEverything()
    {
        var recording = ThreeMaps();

        var json = recording.ToJson();
        var again = PieceRecording.FromJson(json);

        Assert.StartsWith("{\"format\":\"torrentlab-pieces\",\"version\":1,", json, StringComparison.Ordinal);
        Assert.Contains("{\"ms\":2000,\"piece\":2,\"state\":\"verified\",\"sender\":1,\"several\":true}", json, StringComparison.Ordinal);
        Assert.Equal(recording.Events, again.Events);
        Assert.Equal(recording.Senders, again.Senders);
        Assert.Equal((recording.Name, recording.InfoHash, recording.PieceCount, recording.PieceLength), (again.Name, again.InfoHash, again.PieceCount, again.PieceLength));
        Assert.Equal(json, again.ToJson());
    }

    private const string Head = "{\"format\":\"torrentlab-pieces\",\"version\":1,\"pieceCount\":2,\"pieceLength\":16384,\"senders\":[{\"address\":\"a\"}],";

    [Theory]
    [InlineData("[1,2]", "not a piece recording")]
    [InlineData("{\"format\":\"other\",\"version\":1,\"pieceCount\":1,\"pieceLength\":1}", "expected format \"torrentlab-pieces\", got \"other\"")]
    [InlineData("{\"format\":\"torrentlab-pieces\",\"version\":2,\"pieceCount\":1,\"pieceLength\":1}", "expected version 1, got 2")]
    [InlineData(Head + "\"events\":[{\"ms\":0,\"piece\":2,\"state\":\"verified\"}]}", "event 0: expected a piece below 2, got 2")]
    [InlineData(Head + "\"events\":[{\"ms\":0,\"piece\":0,\"state\":\"done\"}]}", "event 0: expected a state (missing, requested, verified, failed), got \"done\"")]
    [InlineData(Head + "\"events\":[{\"ms\":0,\"piece\":0,\"state\":\"verified\",\"sender\":1}]}", "event 0: expected a sender below 1, got 1")]
    [InlineData(Head + "\"events\":[{\"ms\":5,\"piece\":0,\"state\":\"requested\"},{\"ms\":4,\"piece\":1,\"state\":\"requested\"}]}", "event 1: expected events oldest first, got 4 ms after 5 ms")]
    public void FromJson_NotARecording_SaysWhatAndWhere(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => PieceRecording.FromJson(json));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }
}
