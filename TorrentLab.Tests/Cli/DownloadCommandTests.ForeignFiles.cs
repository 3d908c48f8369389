using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

// A user's file where the torrent would write (issue: vacation.jpg was cut to 16 bytes): it is never touched unless its
// pieces verify (then it is adopted and resumed) or the user passes --overwrite.
[Trait("Tier", "Slow")]
public partial class DownloadCommandTests
{
    private const string InTheWay = "error: 'vacation.jpg' exists and is not this torrent's data; move it away or pass --overwrite\n";

    private static TestTorrents.Built Vacation(string url) =>
        TestTorrents.SingleFile(length: 16, pieceLength: 16 * 1024, name: "vacation.jpg", announce: url);

    private static byte[] UsersPhoto() => [.. Enumerable.Range(0, 5_000).Select(i => (byte)(i * 7))];

    [Theory]
    [InlineData("1")]    // the reference path
    [InlineData("50")]   // the swarm engine (the default)
    public async Task MainCommand_UsersFileWithTheTorrentsName_StopsWithExit4AndLeavesItUntouched(string maxPeers)
    {
        await using var swarm = await MockSwarm.StartAsync(Vacation, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        Directory.CreateDirectory(folder.Combine("downloads"));
        File.WriteAllBytes(folder.Combine("downloads", "vacation.jpg"), UsersPhoto());

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("downloads"), "--quiet", "--max-peers", maxPeers]);

        Assert.Equal((CliRunner.Codes.Io, InTheWay), (result.ExitCode, result.Stderr));
        Assert.Equal(UsersPhoto(), File.ReadAllBytes(folder.Combine("downloads", "vacation.jpg")));
    }

    [Fact]
    public async Task MainCommand_UsersFileAndOverwrite_ReplacesIt()
    {
        await using var swarm = await MockSwarm.StartAsync(Vacation, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        Directory.CreateDirectory(folder.Combine("downloads"));
        File.WriteAllBytes(folder.Combine("downloads", "vacation.jpg"), UsersPhoto());

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("downloads"), "--quiet", "--overwrite"]);

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(folder.Combine("downloads", "vacation.jpg")));
    }

    [Fact]
    public async Task MainCommand_AnotherClientsPartialData_IsAdoptedAndResumed()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        Directory.CreateDirectory(folder.Combine("downloads"));
        var partial = swarm.Built.Payload.ToArray();
        Array.Clear(partial, 5 * 16384, partial.Length - 5 * 16384); // the first 5 pieces are there, the rest is a hole
        File.WriteAllBytes(folder.Combine("downloads", "sample.txt"), partial);

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("downloads"), "--quiet"]);

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(folder.Combine("downloads", "sample.txt")));
        Assert.Contains("5 of 10 pieces were already on disk", result.Stdout);
    }

    [Fact]
    public async Task MainCommand_NoResumeOverItsOwnEarlierDownload_StillDownloads()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        Assert.Equal(CliRunner.Codes.Ok, (await CliRunner.RunAsync([torrent, "-o", folder.Combine("downloads"), "--quiet"])).ExitCode);

        var again = await CliRunner.RunAsync([torrent, "-o", folder.Combine("downloads"), "--quiet", "--no-resume"]);

        Assert.True(again.ExitCode == CliRunner.Codes.Ok, again.Stderr); // the ledger said the file is ours
        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(folder.Combine("downloads", "sample.txt")));
    }

    [Fact]
    public async Task MainCommand_DirectoryWhereTheTorrentHasAFile_SaysSo()
    {
        await using var swarm = await MockSwarm.StartAsync(Vacation, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        Directory.CreateDirectory(folder.Combine("downloads", "vacation.jpg"));

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("downloads"), "--quiet"]);

        Assert.Equal(CliRunner.Codes.Io, result.ExitCode);
        Assert.Equal("error: 'vacation.jpg' is a directory, but the torrent stores a file there; move it away\n", result.Stderr);
    }

    [Fact]
    public async Task Download_ClassroomShape_ExistingTarget_StopsWithExit4UnlessOverwrite()
    {
        await using var swarm = await MockSwarm.StartAsync(Vacation, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        var target = folder.Combine("vacation.jpg");
        File.WriteAllBytes(target, UsersPhoto());

        var refused = await CliRunner.RunAsync(["download", "-o", target, torrent, "--quiet"]);
        Assert.Equal(CliRunner.Codes.Io, refused.ExitCode);
        Assert.Equal($"error: '{target}' exists and is not this torrent's data; move it away or pass --overwrite\n", refused.Stderr);
        Assert.Equal(UsersPhoto(), File.ReadAllBytes(target));

        var overwritten = await CliRunner.RunAsync(["download", "-o", target, torrent, "--quiet", "--overwrite"]);
        Assert.True(overwritten.ExitCode == CliRunner.Codes.Ok, overwritten.Stderr);
        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(target));
    }
}
