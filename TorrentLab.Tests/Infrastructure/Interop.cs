namespace TorrentLab.Tests.Infrastructure;

/// <summary>Gates tests that need real clients (opentracker, libtorrent, aria2, Transmission, rtorrent, qBittorrent,
/// webtorrent, mktorrent, the npm clients of Transmission's and qBittorrent's APIs) and real validators (the OpenAPI linter from npm).</summary>
/// <remarks>Without the tool the test is skipped with the reason, never passed silently; when
/// TORRENTLAB_REQUIRE_INTEROP=1 (set by .ci/run) a missing tool fails the test instead.</remarks>
public static class Interop
{
    public static bool Required => Environment.GetEnvironmentVariable("TORRENTLAB_REQUIRE_INTEROP") == "1";

    /// <summary>Skips (or, in CI, fails) unless the executable exists.</summary>
    public static string RequireExecutable(string path)
    {
        var found = path.Contains('/') ? (File.Exists(path) ? path : null) : FindOnPath(path);
        if (found is null) Missing($"'{path}' is not installed (apt-get install it, or run .ci/run)");
        return found!;
    }

    /// <summary>Skips (or fails) unless Debian's python3 can import libtorrent.</summary>
    public static string RequireLibtorrentPython()
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python)) Missing("/usr/bin/python3 is not installed");
        var check = ProcessRunner.Run(python, ["-c", "import libtorrent"], TimeSpan.FromSeconds(30));
        if (check.ExitCode != 0) Missing("python3-libtorrent is not installed (apt-get install python3-libtorrent)");
        return python;
    }

    /// <summary>Skips (or fails) unless the OpenAPI validator is installed: <c>@redocly/cli</c> from npm, pinned in
    /// <c>tools/openapi-lint/package.json</c> and installed beside it by <c>.ci/run</c>; it needs Node.js.</summary>
    public static string RequireOpenApiValidator()
    {
        var redocly = Path.Combine(TestPaths.RepoRoot, "tools", "openapi-lint", "node_modules", ".bin", "redocly");
        if (FindOnPath("node") is null) Missing("Node.js ('node') is not installed (apt-get install nodejs npm)");
        if (!File.Exists(redocly)) Missing("the OpenAPI validator is not installed: run 'npm install --prefix tools/openapi-lint --no-package-lock'");
        return redocly;
    }

    /// <summary>Skips (or fails) unless the npm clients of the remote-control APIs are installed: <c>@ctrl/transmission</c>
    /// and <c>@ctrl/qbittorrent</c>, pinned in <c>tools/remote-clients/package.json</c> and installed beside it by
    /// <c>.ci/run</c>; they need Node.js. Returns that folder (the scripts run from it).</summary>
    public static string RequireRemoteClients()
    {
        var folder = Path.Combine(TestPaths.RepoRoot, "tools", "remote-clients");
        if (FindOnPath("node") is null) Missing("Node.js ('node') is not installed (apt-get install nodejs npm)");
        foreach (var package in (string[])["transmission", "qbittorrent"])
            if (!File.Exists(Path.Combine(folder, "node_modules", "@ctrl", package, "package.json")))
                Missing($"@ctrl/{package} is not installed: run 'npm install --prefix tools/remote-clients --no-package-lock'");
        return folder;
    }

    /// <summary>Skips (or fails) unless webtorrent is installed: pinned in <c>tools/webtorrent/package.json</c> and
    /// installed beside it by <c>.ci/run</c>; it needs Node.js. Returns its peer script, <c>tools/webtorrent/peer.mjs</c>.</summary>
    public static string RequireWebtorrent()
    {
        var folder = Path.Combine(TestPaths.RepoRoot, "tools", "webtorrent");
        if (FindOnPath("node") is null) Missing("Node.js ('node') is not installed (apt-get install nodejs npm)");
        if (!File.Exists(Path.Combine(folder, "node_modules", "webtorrent", "package.json")))
            Missing("webtorrent is not installed: run 'npm install --prefix tools/webtorrent --ignore-scripts --no-package-lock'");
        return Path.Combine(folder, "peer.mjs");
    }

    /// <summary>The path of Node.js (call after <see cref="RequireRemoteClients"/> or another check that found it).</summary>
    public static string Node => FindOnPath("node") ?? "node";

    /// <summary>Skips, visibly, unless this machine can listen on ::1 (IPv6 on loopback): a property of the machine,
    /// not a missing install, so it skips even when interop is required.</summary>
    public static void RequireIPv6Loopback()
    {
        if (!System.Net.Sockets.Socket.OSSupportsIPv6) Assert.Skip("IPv6 is not available on this machine");
        try
        {
            using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.IPv6Loopback, 0);
            probe.Start();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            Assert.Skip($"cannot listen on [::1] ({e.SocketErrorCode}): loopback has no IPv6 address (see 'ip -6 addr show lo')");
        }
    }

    /// <summary>Skips the test with <paramref name="reason"/>, or fails it when interop is required.</summary>
    public static void Missing(string reason)
    {
        if (Required) Assert.Fail($"interop is required (TORRENTLAB_REQUIRE_INTEROP=1) but {reason}");
        Assert.Skip(reason);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
