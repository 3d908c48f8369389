using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab FILE --record REC</c> and <c>torrentlab replay REC</c> (<c>Cli/Commands/ReplayCommand.cs</c>):
/// a real download from two seeds on loopback recorded, then stepped through, each map naming the seed that sent each
/// piece; a file that is not a recording refused with exit code 3.</summary>
public class ReplayCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Record_ThenReplay_TheMapFillsFromTwoSeeds_EachPieceNamingItsSeed()
    {
        // Seed A has the even pieces, seed B the odd ones.
        const int count = 16;
        await using var swarm = await MockSwarm.StartAsync(url => TestTorrents.SingleFile(length: count * 16384, pieceLength: 16384, announce: url),
            [o => o with { HasPieces = Enumerable.Range(0, count).Where(i => i % 2 == 0).ToHashSet() },
             o => o with { HasPieces = Enumerable.Range(0, count).Where(i => i % 2 == 1).ToHashSet() }], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        var recordingFile = folder.Combine("run.json");

        var download = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "--quiet", "--no-dht", "-p", "0", "--bind", "127.0.0.1", "--record", recordingFile]);
        Assert.True(download.ExitCode == CliRunner.Codes.Ok, download.Stderr);

        var recording = PieceRecording.FromJson(await File.ReadAllTextAsync(recordingFile, Ct));
        var end = recording.MapAt(recording.Duration);
        Assert.Equal(new string('2', count), end.ToDigits());
        var a = swarm.EndPointOf(0).ToString();
        var b = swarm.EndPointOf(1).ToString();
        Assert.Equal(Enumerable.Range(0, count).Select(i => i % 2 == 0 ? a : b), Enumerable.Range(0, count).Select(i => end.Senders![i]?.Address));

        var replay = await CliRunner.RunAsync(["replay", recordingFile, "--frames", "3", "--pause", "0"]);

        Assert.True(replay.ExitCode == CliRunner.Codes.Ok, replay.Stderr);
        var lines = replay.Stdout.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Equal(3, lines.Count(l => l.StartsWith("--- ", StringComparison.Ordinal)));
        Assert.StartsWith("--- ", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("(map 1 of 3) ---", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("(map 3 of 3) ---", lines.Last(l => l.StartsWith("--- ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(" 0  " + new string('#', count), lines[^3]); // the last map: every piece verified
        var letters = lines[^2].Trim();
        Assert.Equal(count, letters.Length);
        Assert.Equal(2, letters.Distinct().Count()); // two seeds, alternating
        Assert.All(Enumerable.Range(0, count), i => Assert.Equal(letters[i % 2], letters[i]));
    }

    [Fact]
    public async Task Replay_AFileThatIsNotARecording_ExitsWithBadInputAndSaysWhy()
    {
        using var folder = new TempFolder();
        var file = folder.Combine("x.json");
        await File.WriteAllTextAsync(file, "{\"format\":\"other\"}", Ct);

        var result = await CliRunner.RunAsync(["replay", file, "--pause", "0"]);

        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Contains("expected format \"torrentlab-pieces\", got \"other\"", result.Stderr, StringComparison.Ordinal);
    }
}
