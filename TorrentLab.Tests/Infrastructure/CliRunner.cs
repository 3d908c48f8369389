using TorrentLab.Cli;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Runs the real <c>torrentlab</c> executable as a separate process, as a user or a checker would.</summary>
public static class CliRunner
{
    /// <summary>The CLI as the build published it for the tests: cli/TorrentLab.Cli.dll beside them, with ReadyToRun code
    /// (the <c>PublishCliForTests</c> target of TorrentLab.Tests.csproj), the same program as the TorrentLab.Cli.dll the
    /// tests compile against, without the JIT's work at every start.</summary>
    public static string CliDll { get; } = Path.Combine(AppContext.BaseDirectory, "cli", "TorrentLab.Cli.dll");

    /// <summary>Runs <c>dotnet TorrentLab.Cli.dll args...</c> to completion.</summary>
    public static ProcessRunner.Result Run(IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null) =>
        ProcessRunner.Run("dotnet", [CliDll, .. args], timeout ?? TimeSpan.FromSeconds(60), workingDirectory);

    /// <summary><see cref="Run"/> without holding a thread of the test's pool while the command runs (for a test whose
    /// own nodes or peers in this process answer the command).</summary>
    public static Task<ProcessRunner.Result> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null, string? workingDirectory = null) =>
        ProcessRunner.RunAsync("dotnet", [CliDll, .. args], timeout ?? TimeSpan.FromSeconds(60), workingDirectory);

    /// <summary>The exit codes, shared with the CLI so tests name them rather than repeat numbers.</summary>
    public static class Codes
    {
        public const int Ok = ExitCodes.Ok;
        public const int Failed = ExitCodes.Failed;
        public const int Usage = ExitCodes.Usage;
        public const int BadInput = ExitCodes.BadInput;
        public const int Io = ExitCodes.Io;
        public const int Tracker = ExitCodes.Tracker;
        public const int Peer = ExitCodes.Peer;
        public const int NoSpace = ExitCodes.NoSpace;
        public const int VerifyFailed = ExitCodes.VerifyFailed;
        public const int Unsupported = ExitCodes.Unsupported;
        public const int PortUnavailable = ExitCodes.PortUnavailable;
        public const int ServeUnreachable = ExitCodes.ServeUnreachable;
        public const int UnknownTorrent = ExitCodes.UnknownTorrent;
        public const int Interrupted = ExitCodes.Interrupted;
    }
}
