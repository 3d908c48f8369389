using System.Text;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The swarm engine over uTP against python3-libtorrent with TCP off, through the real command line: the main
/// command downloads from a uTP-only libtorrent seeder, and a uTP-only libtorrent downloader completes from
/// <c>torrentlab seed</c>; single and multi-file. And the default (uTP first, TCP raced after a head start) against a
/// libtorrent seeder with uTP off, which never answers a uTP SYN: one connection, over TCP.</summary>
[Trait("Tier", "Slow")]
public class TorrentSwarmTransportInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TestTorrents.Built Payload(bool multiFile) => multiFile
        ? TestTorrents.MultiFile([("a.bin", (1 << 20) + 4321), ("sub/b.bin", 700 * 1024), ("sub/c.bin", 999)], pieceLength: 64 * 1024,
            name: "utp-multi", announce: null, seed: 51)
        : TestTorrents.SingleFile(length: (2 << 20) + 12345, pieceLength: 64 * 1024, name: "utp-single.bin", announce: null, seed: 52);

    private static void AssertFiles(TestTorrents.Built built, string output, string context)
    {
        foreach (var (path, data) in built.Files)
            Assert.True(File.Exists(Path.Combine(output, path)) && File.ReadAllBytes(Path.Combine(output, path)).AsSpan().SequenceEqual(data),
                $"{path} differs from the original\n{context}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MainCommand_FromALibtorrentSeederWithIncomingTcpOff_DownloadsOverUtp(bool multiFile)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-utp-engine");
        var built = Payload(multiFile);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        using var seeder = await LibtorrentUtpPeer.StartSeederAsync(python, torrentPath, folder.Combine("lt"), folder.Path, Ct);

        var result = await CliRunner.RunAsync([torrentPath, "-o", folder.Combine("out"), "--port", "0", "--peer", $"127.0.0.1:{seeder.Port}",
            "--peer-scope", "loopback", "--verbose", "--quiet"], TimeSpan.FromSeconds(90));

        var context = $"exit {result.ExitCode}\n{result.Stderr}";
        Assert.True(result.ExitCode == CliRunner.Codes.Ok, context);
        AssertFiles(built, folder.Combine("out"), context);
        Assert.Contains($"peer 127.0.0.1:{seeder.Port}: connected (outgoing over utp", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MainCommand_BothTransportsFromALibtorrentSeederWithUtpOff_ConnectsToItOnceOverTcp()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-race");
        var built = Payload(multiFile: false);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("lt"));
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("lt"), folder.Path, Ct); // TCP only

        var result = await CliRunner.RunAsync([torrentPath, "-o", folder.Combine("out"), "--port", "0", "--peer", $"127.0.0.1:{seeder.Port}",
            "--peer-scope", "loopback", "--no-dht", "--verbose", "--quiet"], TimeSpan.FromSeconds(90));

        var context = $"exit {result.ExitCode}\n{result.Stderr}";
        Assert.True(result.ExitCode == CliRunner.Codes.Ok, context);
        AssertFiles(built, folder.Combine("out"), context);
        var connected = result.Stderr.Split('\n').Where(l => l.Contains($"peer 127.0.0.1:{seeder.Port}: connected (", StringComparison.Ordinal)).ToArray();
        Assert.True(connected.Length == 1 && connected[0].Contains("outgoing over tcp", StringComparison.Ordinal), context);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SeedCommand_ToALibtorrentDownloaderWithOutgoingTcpOff_ServesEverythingOverUtp(bool multiFile)
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-utp-seed");
        var built = Payload(multiFile);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        var port = ProcessRunner.FreeTcpAndUdpPort();
        using var seed = ProcessRunner.Start("dotnet", [CliRunner.CliDll, "seed", torrentPath, "--data", folder.Combine("seed"),
            "--port", port.ToString(), "--bind", "127.0.0.1", "--verbose"]);
        var stderr = new StringBuilder();
        var seeding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        seed.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.StartsWith("seeding ", StringComparison.Ordinal)) seeding.TrySetResult();
        };
        seed.BeginErrorReadLine();
        try
        {
            await seeding.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            using var downloader = LibtorrentUtpPeer.StartDownloader(python, torrentPath, folder.Combine("lt"), folder.Path, port);
            var line = await downloader.ReadLineAsync(TimeSpan.FromSeconds(90), Ct);

            var context = $"libtorrent: {line} {downloader.Errors()}\nseed:\n{Text(stderr)}";
            Assert.True(line is not null && line.StartsWith("finished", StringComparison.Ordinal), context);
            Assert.True(await downloader.ExitedAsync(TimeSpan.FromSeconds(30), Ct), $"libtorrent did not exit after it finished\n{context}");
            AssertFiles(built, folder.Combine("lt"), context);
            Assert.Contains("connected (incoming over utp", Text(stderr), StringComparison.Ordinal);
        }
        finally
        {
            ProcessRunner.Stop(seed);
        }
    }

    private static string Text(StringBuilder builder) { lock (builder) return builder.ToString(); }
}
