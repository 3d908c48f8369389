using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web;

namespace TorrentLab.Tests.Cli;

/// <summary>A port the user names is a promise: bound, or the command fails with one line and exit 10. Only the
/// default peer port 6881 may move, and <c>serve</c> never saves a port it moved to.</summary>
[Trait("Tier", "Slow")]
public partial class PortCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A loopback TCP port held (listening) by the test, so nothing else can bind it.</summary>
    private static TcpListener HoldPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static string PortOf(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

    private static void AssertPortRefused(ProcessRunner.Result result, string port)
    {
        Assert.True(CliRunner.Codes.PortUnavailable == result.ExitCode, $"exit {result.ExitCode}: {result.Stderr}");
        // One error line (serve logs its peer port's "listening on" line before the web port is tried).
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(port, line);
        Assert.Contains("never replaced", line);
    }

    [Fact]
    public void Download_PortGivenAndTaken_FailsWithExit10InsteadOfMovingToAnother()
    {
        using var folder = new TempFolder("torrentlab-port-download");
        var torrent = TestTorrents.SingleFile(length: 20_000, announce: null).WriteTorrent(folder.Path);
        using var held = HoldPort();

        var result = CliRunner.Run([torrent, "-o", folder.Combine("out"), "--port", PortOf(held), "--bind", "127.0.0.1", "--no-dht", "--stall-timeout", "20", "-q"]);

        AssertPortRefused(result, PortOf(held));
    }

    [Fact]
    public void Seed_PortGivenAndTaken_FailsWithExit10InsteadOfMovingToAnother()
    {
        using var folder = new TempFolder("torrentlab-port-seed");
        var built = TestTorrents.SingleFile(length: 20_000, announce: null);
        var torrent = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("data"));
        using var held = HoldPort();

        var result = CliRunner.Run(["seed", torrent, "--data", folder.Combine("data"), "-p", PortOf(held), "--bind", "127.0.0.1", "--no-dht", "-q"]);

        AssertPortRefused(result, PortOf(held));
    }

    [Theory]
    [InlineData("--peer-port")]
    [InlineData("--port")] // the web interface's own port: never replaced either
    public void Serve_PortGivenAndTaken_FailsWithExit10(string option)
    {
        using var downloads = new TempFolder("torrentlab-port-serve");
        using var held = HoldPort();
        string[] others = option == "--port" ? ["--peer-port", "0"] : ["--port", "0"];

        var result = CliRunner.Run(["serve", "--downloads", downloads.Path, "--bind", "127.0.0.1", "--no-dht", option, PortOf(held), .. others]);

        AssertPortRefused(result, PortOf(held));
    }

    /// <summary>serve's options over <paramref name="downloads"/>: loopback only, the peer port given (null: none).</summary>
    private static TorrentLab.Web.WebServerOptions Serve(string downloads, int? peerPort) =>
        WebTestServer.Options(downloads) with { PeerPort = peerPort, PeerBindAddresses = [IPAddress.Loopback], Dht = false };

    [Fact]
    public async Task Serve_RestartedWhileItsSavedPortIsTaken_FailsThenComesBackOnThatPort_NeverAFallback()
    {
        using var downloads = new TempFolder("torrentlab-port-restart");
        var port = ProcessRunner.FreeTcpAndUdpPort();
        await using (var first = await TorrentLab.Web.WebServer.StartAsync(Serve(downloads.Path, port), Ct))
            Assert.Equal(port, first.PeerPort);
        Assert.Equal(port, SavedPeerPort(downloads.Path));

        // The saved port is taken while the server is down: the next start, naming no port, fails rather than move.
        // The product's listener: its dispose ends the listening even in a copy a child forked meanwhile still holds
        // (a plain TcpListener's close does not, and the restart below once failed on it in CI).
        var holder = TorrentLab.Network.SystemNetwork.Instance.Listen(new IPEndPoint(IPAddress.Loopback, port), 1);
        try
        {
            var failed = await Assert.ThrowsAsync<TorrentLab.Swarm.SwarmException>(() => TorrentLab.Web.WebServer.StartAsync(Serve(downloads.Path, null), Ct));
            Assert.Contains(port.ToString(CultureInfo.InvariantCulture), failed.Message);
        }
        finally
        {
            holder.Dispose();
        }
        Assert.Equal(port, SavedPeerPort(downloads.Path));

        await using var again = await TorrentLab.Web.WebServer.StartAsync(Serve(downloads.Path, null), Ct);
        Assert.Equal(port, again.PeerPort);
    }

    [Fact]
    public async Task Serve_DefaultPeerPortTaken_FallsBackWithoutSavingTheFallback()
    {
        using var downloads = new TempFolder("torrentlab-port-default");
        // 6881 held here, or by something else on the machine: either way the default cannot be bound and falls back.
        TcpListener? holder = new(IPAddress.Loopback, 6881);
        try
        {
            holder.Start();
        }
        catch (SocketException)
        {
            holder = null;
        }
        try
        {
            await using (var first = await TorrentLab.Web.WebServer.StartAsync(Serve(downloads.Path, null), Ct))
                if (holder is not null) Assert.NotEqual(6881, first.PeerPort);
            Assert.Null(SavedPeerPort(downloads.Path)); // the next start asks for the default again
            await using (var again = await TorrentLab.Web.WebServer.StartAsync(Serve(downloads.Path, null), Ct))
                Assert.Null(SavedPeerPort(downloads.Path));
        }
        finally
        {
            holder?.Stop();
        }
    }

    /// <summary>The peer port in serve's saved list, or null when none is saved.</summary>
    private static int? SavedPeerPort(string downloads)
    {
        var path = Path.Combine(downloads, TorrentLab.Client.TorrentClient.StateFolder, "web", "torrents.json");
        if (!File.Exists(path)) return null;
        var match = SavedPort().Match(File.ReadAllText(path));
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"""peerPort""\s*:\s*(\d+)")]
    private static partial Regex SavedPort();
}
