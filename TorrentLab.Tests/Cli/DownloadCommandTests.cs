using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TorrentLab.Lab;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Cli;

/// <summary>The download commands as a user runs them: the real CLI process against the mock swarm.</summary>
public partial class DownloadCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built Single(string url) =>
        TestTorrents.SingleFile(length: 150_000, pieceLength: 16 * 1024, name: "sample.txt", announce: url);

    private static TestTorrents.Built Multi(string url) =>
        TestTorrents.MultiFile([("a.bin", 40_000), ("deep/b.bin", 30_000)], pieceLength: 16 * 1024, name: "album", announce: url);

    [Fact]
    public async Task MainCommand_TorrentAndOutput_DownloadsIntoTheFolderAndPrintsASummary()
    {
        await using var swarm = await MockSwarm.StartAsync(Multi, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync([torrent, "--output", folder.Combine("downloads"), "--no-resume", "--max-peers", "1"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        foreach (var (path, data) in swarm.Built.Files)
            Assert.Equal(data, File.ReadAllBytes(folder.Combine("downloads", path)));
        Assert.StartsWith("downloaded 'album'", result.Stdout);
        Assert.DoesNotContain("Exception", result.Stderr);
    }

    [Fact]
    public async Task Download_ClassroomShape_WritesTheSingleFileAtThePathGiven()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        var target = folder.Combine("out", "test.txt");

        var result = await CliRunner.RunAsync(["download", "-o", target, torrent, "--quiet"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(target));
        Assert.Equal(["test.txt"], Directory.GetFileSystemEntries(folder.Combine("out")).Select(Path.GetFileName)); // no staging left
    }

    /// <summary>The seed projects' shape, <c>download TORRENT OUTPUT</c>: the output as a second argument, the same as -o.</summary>
    [Fact]
    public async Task Download_SeedProjectsShape_TorrentThenOutput_WritesThePathGiven()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        var target = folder.Combine("out", "test.txt");

        var result = await CliRunner.RunAsync(["download", torrent, target, "--quiet"]);

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        Assert.Equal(swarm.Built.Payload, File.ReadAllBytes(target));
        Assert.Equal($"Downloaded {torrent} to {target}.\n", result.Stdout);
    }

    [Fact]
    public async Task Download_MultiFileTorrent_PathBecomesTheTopFolder()
    {
        await using var swarm = await MockSwarm.StartAsync(Multi, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync(["download", "-o", folder.Combine("mine"), torrent, "--quiet"]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal(swarm.Built.Files[1].Data, File.ReadAllBytes(folder.Combine("mine", "deep", "b.bin")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)] // the last piece is short: 150,000 - 9 x 16,384 = 2,544 bytes
    public async Task DownloadPiece_WritesExactlyThatVerifiedPiece(int index)
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        var target = folder.Combine($"piece-{index}");

        var result = await CliRunner.RunAsync(["download_piece", "-o", target, torrent, index.ToString()]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        var expected = swarm.Built.Payload.AsSpan(index * 16384, swarm.Built.Torrent.GetPieceLength(index)).ToArray();
        Assert.Equal(expected, File.ReadAllBytes(target));
    }

    [Fact]
    public async Task DownloadPiece_IndexOutOfRange_IsAUsageErrorNamingTheRange()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, Array.Empty<SyntheticBehaviour>(), Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync(["download_piece", "-o", folder.Combine("p"), torrent, "10"]);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Equal("error: piece index 10 is out of range: the torrent has pieces 0..9\n", result.Stderr);
    }

    [Fact]
    public async Task Handshake_PrintsTheRemotePeerId()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.Normal], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync(["handshake", torrent, swarm.EndPointOf(0).ToString()]);

        Assert.Equal(CliRunner.Codes.Ok, result.ExitCode);
        Assert.Equal($"Peer ID: {swarm.Peers[0].PeerId.Hex}\n", result.Stdout);
    }

    [Fact]
    public async Task Handshake_PeerAnswersForAnotherTorrent_OneLinePeerErrorAndExitCode()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.WrongInfoHash], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync(["handshake", torrent, swarm.EndPointOf(0).ToString()]);

        Assert.Equal(CliRunner.Codes.Peer, result.ExitCode);
        Assert.Matches(@"^error: peer: peer 127\.0\.0\.1:\d+: handshake answered with info hash [0-9a-f]{40}, expected [0-9a-f]{40}\n$", result.Stderr);
    }

    [Fact]
    public async Task MainCommand_OnlyBadPeers_FailsWithOneLineAndTheFailedExitCode()
    {
        await using var swarm = await MockSwarm.StartAsync(Single, [SyntheticBehaviour.CorruptBlock], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);

        var result = await CliRunner.RunAsync([torrent, "-o", folder.Combine("out"), "--quiet", "--max-peers", "1"]);

        Assert.Equal(CliRunner.Codes.Failed, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("fails its SHA-1 hash", result.Stderr);
    }

    [Fact]
    public async Task MainCommand_MagnetLink_FetchesTheMetadataThenDownloads()
    {
        var built = TestTorrents.SingleFile(length: 120_000, pieceLength: 16 * 1024, name: "m.bin", announce: null);
        await using var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with { ServeMetadata = true });
        using var folder = new TempFolder();
        var link = $"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&dn=m.bin&x.pe={peer.EndPoint}";

        var result = await CliRunner.RunAsync([link, "-o", folder.Combine("out"), "--quiet", "--port", "0"]);

        Assert.True(result.ExitCode == CliRunner.Codes.Ok, result.Stderr);
        Assert.Equal(built.Payload, File.ReadAllBytes(folder.Combine("out", "m.bin")));
    }

    [Fact]
    public void MainCommand_UnknownWord_IsAUsageErrorNotAMissingFile()
    {
        var result = CliRunner.Run(["frobnicate"]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Equal("error: 'frobnicate' is neither a command nor an existing .torrent file (see 'torrentlab --help')\n", result.Stderr);
    }

    [Theory]
    [InlineData("--wrong", "info", "--wrong")]
    [InlineData("--nope", "peers", "--nope")]
    [InlineData("-x", "merkle_root", "-x")]
    [InlineData("--bad", "download", "-o", "out", "--bad")]
    [InlineData("--wrong", "seed", "--wrong", "-d", ".")]
    [InlineData("--wrong", "create", "--wrong")]
    [InlineData("--wrong", "lab", "class", "--wrong")]
    public void FileArgument_AnOptionNoCommandKnows_IsAUsageErrorNotAMissingFile(string word, params string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Equal($"error: unknown option '{word}' (see 'torrentlab --help')\n", result.Stderr);
    }

    [Theory]
    [InlineData("--max-peers", "0")]
    [InlineData("--peer", "not-an-address")]
    [InlineData("--stall-timeout", "0")]     // a limit must be positive; no limit is the default
    [InlineData("--stall-timeout", "-5")]
    [InlineData("--bind", "not-an-address")]
    [InlineData("--bind", "127.0.0.1:6881")] // an address, not an endpoint: the port is --port
    [InlineData("--transport", "quic")]
    [InlineData("--max-download-rate", "2X")]  // not a unit
    [InlineData("--max-download-rate", "-1M")] // a limit is never negative; 0 is unlimited
    [InlineData("--max-upload-rate", "fast")]
    public void MainCommand_BadOption_IsAUsageError(string option, string value)
    {
        var result = CliRunner.Run([TestPaths.Fixture("single", "hello.txt.torrent"), option, value]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void MainCommand_UtpWithTheSinglePeerReferencePath_IsAUsageErrorSayingWhy()
    {
        var result = CliRunner.Run([TestPaths.Fixture("single", "hello.txt.torrent"), "--transport", "utp", "--max-peers", "1"]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Equal("error: --transport utp needs the swarm engine; --max-peers 1 runs the reference path, which speaks TCP only\n", result.Stderr);
    }

    [Fact]
    public void MainCommand_NotATorrent_BadInputWithOneLine()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("bad.torrent");
        File.WriteAllText(path, "d4:infoi3ee");
        var result = CliRunner.Run([path, "-o", folder.Combine("out")]);
        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Equal("error: invalid torrent: info: expected a dictionary, got an integer\n", result.Stderr);
        Assert.False(Directory.Exists(folder.Combine("out"))); // a mistake leaves nothing behind, not even an empty folder
    }

    [Fact]
    public void MainCommand_NeitherACommandNorATorrent_IsAUsageErrorThatCreatesNoFolder()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run([folder.Combine("typo"), "-o", folder.Combine("out")]);
        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.StartsWith("error: '", result.Stderr);
        Assert.False(Directory.Exists(folder.Combine("out")));
    }

    [Fact]
    public async Task MainCommand_KilledWithSigkillThenRerun_CompletesIdenticallyWithoutRefetchingLedgerPieces()
    {
        // A slow seeder (60 pieces, 100 ms a block, ~6 s in all): the ledger is saved every 3 s, so the kill lands mid-download.
        await using var swarm = await MockSwarm.StartAsync(
            url => TestTorrents.SingleFile(length: 60 * 16384, pieceLength: 16384, name: "big.bin", announce: url),
            [o => o with { Behaviour = SyntheticBehaviour.Slow, SlowDelay = TimeSpan.FromMilliseconds(100) }], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        var output = folder.Combine("out");
        var ledger = new ResumeLedger(swarm.Built.Torrent, output);

        using (var first = ProcessRunner.Start("dotnet", [CliRunner.CliDll, torrent, "-o", output, "--quiet", "--max-peers", "1"]))
        {
            await Wait.UntilAsync(() => LedgerInspector.SavedPieces(ledger.FilePath) >= 5, TimeSpan.FromSeconds(30), Ct);
            first.Kill(); // SIGKILL: no chance to save anything more
            first.WaitForExit();
        }
        // Never unreadable, even after SIGKILL (written by rename). Pieces written after its last save make the files
        // newer than the ledger, so the next run re-hashes them rather than trust it blindly.
        var fromLedger = LedgerInspector.SavedPieces(ledger.FilePath);
        Assert.InRange(fromLedger, 5, 59);

        var second = await CliRunner.RunAsync([torrent, "-o", output, "--quiet", "--max-peers", "1"], TimeSpan.FromSeconds(60));

        Assert.Equal(CliRunner.Codes.Ok, second.ExitCode);
        Assert.Equal(SHA1.HashData(swarm.Built.Payload), SHA1.HashData(File.ReadAllBytes(Path.Combine(output, "big.bin"))));
        var received = long.Parse(ReceivedBytes().Match(second.Stdout).Groups[1].Value);
        var resumed = int.Parse(AlreadyOnDisk().Match(second.Stdout).Groups[1].Value);
        // Pieces the ledger recorded are never fetched again; pieces written after the last ledger save are found by
        // the hash check only if the ledger is stale, so the second run fetches at most what the ledger lacked.
        Assert.True(resumed >= fromLedger, $"{resumed} pieces resumed, ledger had {fromLedger}");
        Assert.True(received <= (60L - fromLedger) * 16384, $"received {received} bytes, ledger had {fromLedger} of 60 pieces");
    }

    [Fact]
    public async Task MainCommand_CtrlC_SavesTheLedgerAndExits130()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("sends SIGINT with kill(1)");
        await using var swarm = await MockSwarm.StartAsync(
            url => TestTorrents.SingleFile(length: 60 * 16384, pieceLength: 16384, name: "big.bin", announce: url),
            [o => o with { Behaviour = SyntheticBehaviour.Slow, SlowDelay = TimeSpan.FromMilliseconds(100) }], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        var output = folder.Combine("out");
        var ledger = new ResumeLedger(swarm.Built.Torrent, output);

        using var process = ProcessRunner.Start("dotnet", [CliRunner.CliDll, torrent, "-o", output, "--quiet", "--max-peers", "1"]);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await Wait.UntilAsync(() => APieceIsOnDisk(Path.Combine(output, "big.bin"), swarm.Built.Payload), TimeSpan.FromSeconds(30), Ct);
        ProcessRunner.Signal(process, "INT");
        var exited = process.WaitForExit(TimeSpan.FromSeconds(15));
        if (!exited) ProcessRunner.Stop(process);

        Assert.True(exited, "the CLI did not stop within 15 s of Ctrl-C");
        Assert.Equal(CliRunner.Codes.Interrupted, process.ExitCode);
        // The count comes from the last progress report; the slow peer may not have delivered a piece by then.
        Assert.Matches($@"^interrupted(: \d+ of 60 pieces saved| before any piece arrived) in {Regex.Escape(output)}; run the same command again to resume\n$", await stderr);
        Assert.True(ledger.Validate().IsTrusted); // saved on the way out, after the last write
    }

    /// <summary>A script's <c>torrentlab ... &amp;</c> starts with SIGINT ignored (no job control); the script's
    /// <c>kill -INT</c> must still stop it cleanly.</summary>
    [Fact]
    public async Task MainCommand_StartedWithSigintIgnored_StillStopsOnSigint()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("sends SIGINT with kill(1)");
        await using var swarm = await MockSwarm.StartAsync(
            url => TestTorrents.SingleFile(length: 60 * 16384, pieceLength: 16384, name: "big.bin", announce: url),
            [o => o with { Behaviour = SyntheticBehaviour.Slow, SlowDelay = TimeSpan.FromMilliseconds(100) }], Ct);
        using var folder = new TempFolder();
        var torrent = swarm.Built.WriteTorrent(folder.Path);
        var output = folder.Combine("out");

        // trap '' INT sets SIGINT to ignored, and exec keeps that disposition, as a shell does for a background job.
        using var process = ProcessRunner.Start("bash", ["-c", "trap '' INT; exec dotnet \"$0\" \"$@\"", CliRunner.CliDll, torrent, "-o", output, "--quiet", "--max-peers", "1"]);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await Wait.UntilAsync(() => APieceIsOnDisk(Path.Combine(output, "big.bin"), swarm.Built.Payload), TimeSpan.FromSeconds(30), Ct);
        ProcessRunner.Signal(process, "INT");
        var exited = process.WaitForExit(TimeSpan.FromSeconds(15));
        if (!exited) ProcessRunner.Stop(process);

        Assert.True(exited, "SIGINT did not stop the CLI within 15 s");
        Assert.Equal(CliRunner.Codes.Interrupted, process.ExitCode);
        Assert.StartsWith("interrupted", await stderr);
    }

    /// <summary>True once one of the 16 KiB pieces of <paramref name="payload"/> is in the file at <paramref name="path"/>
    /// (the download is under way: the interrupt has something to save).</summary>
    private static bool APieceIsOnDisk(string path, byte[] payload)
    {
        const int piece = 16384;
        byte[] data;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            data = new byte[file.Length];
            file.ReadExactly(data);
        }
        catch (IOException) { return false; } // not created yet
        for (var at = 0; at + piece <= Math.Min(data.Length, payload.Length); at += piece)
            if (data.AsSpan(at, piece).SequenceEqual(payload.AsSpan(at, piece))) return true;
        return false;
    }

    [GeneratedRegex(@"received (\d+) bytes")]
    private static partial Regex ReceivedBytes();

    [GeneratedRegex(@"(\d+) of \d+ pieces were already on disk")]
    private static partial Regex AlreadyOnDisk();
}
