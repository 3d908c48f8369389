using System.Net;
using System.Net.Http.Json;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary><c>GET /api/torrents/{infoHash}/pieces</c> (<c>TorrentApi.Pieces.cs</c>) and <c>torrentlab pieces</c>
/// (<c>Cli/Commands/PiecesCommand.cs</c>) against a served torrent: the map with each piece's availability while it
/// downloads from a peer that has every piece, without it once paused, who sent each piece when two seeds each have half
/// of them and when end game began, and the text the command prints.</summary>
[Trait("Tier", "Slow")]
public class TorrentApiPiecesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pieces_WhileDownloadingThenPaused_GivesTheMapWithAvailabilityOnlyWhileItRuns()
    {
        // The swarm engine, one peer with every piece sending a block every 50 ms: the download runs for a while.
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 40, slowDelay: TimeSpan.FromMilliseconds(50),
            configure: o => o with { MaxPeers = 8 });
        await web.AddAsync(start: true, Ct);

        PieceMap? map = null;
        await Wait.UntilAsync(async () => (map = await web.Http.GetFromJsonAsync<PieceMap>($"/api/torrents/{web.InfoHash}/pieces", Ct))!.Availability is not null
            && map.Verified > 0, TimeSpan.FromSeconds(30), "no map with availability and a verified piece", Ct);

        Assert.Equal(web.InfoHash, map!.InfoHash);
        Assert.Equal(40, map.States.Length);
        Assert.Equal(40, map.Missing + map.Requested + map.Verified + map.Failed);
        Assert.Equal(map.Verified, map.States.Count(c => c == '2'));
        Assert.All(map.Availability!, n => Assert.Equal(1, n)); // the one peer has every piece
        Assert.Equal(16 * 1024, map.PieceLength);
        // webtest's two files: a.bin ends 100 bytes into piece 20, sub/b.bin takes the rest.
        Assert.Equal([new PieceMapFile(1, "webtest/a.bin", 0, 20), new PieceMapFile(2, "webtest/sub/b.bin", 20, 39)], map.Files);

        using (await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/pause", null, Ct)) { }
        await web.WaitForAsync(s => s.State == "paused", Ct);
        var paused = await web.Http.GetFromJsonAsync<PieceMap>($"/api/torrents/{web.InfoHash}/pieces", Ct);
        Assert.Null(paused!.Availability);
        Assert.True(paused.Verified >= map.Verified);
    }

    [Fact]
    public async Task PiecesCommand_AgainstServe_PrintsTheMapAndExitsWithACodePerFailure()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        string[] token = web.Server.Token is { } t ? ["--token", t] : [];

        var known = await CliRunner.RunAsync(["pieces", web.InfoHash, "--url", web.Server.Url, .. token]);
        var unknown = await CliRunner.RunAsync(["pieces", new string('0', 40), "--url", web.Server.Url, .. token]);
        var badHash = await CliRunner.RunAsync(["pieces", "xyz", "--url", web.Server.Url]);

        Assert.True(known.ExitCode == CliRunner.Codes.Ok, known.Stderr);
        var lines = known.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToList();
        Assert.Equal($"webtest ({web.InfoHash})", lines[0]);
        Assert.Equal("12 pieces of 16 KiB: 0 verified, 0 requested, 0 failed, 12 missing", lines[1]);
        Assert.Contains("only while it runs", lines[2], StringComparison.Ordinal);
        Assert.Equal(" 0  ............", lines[3]); // twelve missing pieces, no availability row while paused
        Assert.Equal("files:", lines[4]);
        Assert.Equal("    1 webtest/a.bin: pieces 0-6, 0 of 7 verified", lines[5]);
        Assert.Equal(CliRunner.Codes.UnknownTorrent, unknown.ExitCode);
        Assert.Equal(CliRunner.Codes.Usage, badHash.ExitCode);
    }

    [Fact]
    public async Task Pieces_TwoSeedsEachWithHalfThePieces_NamesTheSeedThatSentEachPieceAndWhenEndGameBegan_InTheAnswerAndTheCommand()
    {
        // Seed A has the even pieces, seed B the odd ones: each piece can come from one of them only.
        const int count = 20;
        var even = Enumerable.Range(0, count).Where(i => i % 2 == 0).ToHashSet();
        var odd = Enumerable.Range(0, count).Where(i => i % 2 == 1).ToHashSet();
        await using var web = await WebTestServer.StartAsync(Ct, pieces: count, configure: o => o with { MaxPeers = 8 }, peer: o => o with { HasPieces = even });
        var b = await web.Swarm.AddAsync(SyntheticBehaviour.Normal, announce: true, Ct, o => o with { HasPieces = odd });
        var a = web.Swarm.Peers[0];
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(s => s.PiecesDone == count, Ct);

        PieceMap? map = null;
        await Wait.UntilAsync(async () => (map = await web.Http.GetFromJsonAsync<PieceMap>($"/api/torrents/{web.InfoHash}/pieces", Ct))!.SentBy is { } sentBy
            && sentBy.All(row => row >= 0), TimeSpan.FromSeconds(30), "no map naming a sender for every piece", Ct);

        Assert.Equal(2, map!.Senders!.Length);
        var rowOfA = Array.FindIndex(map.Senders, s => s.Address == a.EndPoint.ToString());
        var rowOfB = Array.FindIndex(map.Senders, s => s.Address == b.EndPoint.ToString());
        Assert.True(rowOfA >= 0 && rowOfB >= 0, string.Join(", ", map.Senders.Select(s => s.Address)));
        Assert.Equal(Enumerable.Range(0, count).Select(i => i % 2 == 0 ? rowOfA : rowOfB), map.SentBy!);
        Assert.Empty(map.SentBySeveral!); // nobody else had any piece to send
        Assert.Equal(count / 2, map.Senders[rowOfA].Pieces);
        Assert.Equal(count / 2, map.Senders[rowOfB].Pieces);
        Assert.All(map.Senders, s => Assert.False(string.IsNullOrEmpty(s.Client)));
        // The end of the download was end game: noted once, with a seed we were asking and the pieces then left.
        var endgame = Assert.Single(map.Moments, m => m.Kind == "endgame");
        Assert.Contains(endgame.Peer, new[] { a.EndPoint.ToString(), b.EndPoint.ToString() });
        Assert.InRange(endgame.PiecesLeft, 1, count);
        // Rarest first begins only if a seed connects after the first requests went out (on a busy machine the second
        // one may): noted once at most (the piece manager's tests pin when it begins).
        Assert.InRange(map.Moments.Count(m => m.Kind == "rarest"), 0, 1);

        string[] token = web.Server.Token is { } t ? ["--token", t] : [];
        var printed = await CliRunner.RunAsync(["pieces", web.InfoHash, "--url", web.Server.Url, .. token]);

        Assert.True(printed.ExitCode == CliRunner.Codes.Ok, printed.Stderr);
        var lines = printed.Stdout.Split('\n').Select(l => l.TrimEnd()).ToList();
        char letterOfA = (char)('A' + rowOfA), letterOfB = (char)('A' + rowOfB);
        Assert.Contains($"  {letterOfA} {a.EndPoint} ({map.Senders[rowOfA].Client}): 10 pieces", lines);
        Assert.Contains($"  {letterOfB} {b.EndPoint} ({map.Senders[rowOfB].Client}): 10 pieces", lines);
        Assert.Contains("    " + string.Concat(Enumerable.Range(0, count).Select(i => i % 2 == 0 ? letterOfA : letterOfB)), lines); // under " 0  ####..."
    }
}
