using System.Runtime.InteropServices;
using System.CommandLine;
using TorrentLab.Cli.Commands;

namespace TorrentLab.Cli;

/// <summary>Builds the <c>torrentlab</c> command tree and runs it; the commands only parse arguments and print.</summary>
internal static class CliApp
{
    /// <summary>Creates the root command with every subcommand registered.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("TorrentLab: a BitTorrent client and protocol lab.");
        foreach (var command in Commands()) root.Subcommands.Add(command);
        MainCommand.AttachTo(root);
        ValueParsers.Install(root);
        return root;
    }

    // One line per command; each lives in Commands/<Name>Command.cs.
    private static IEnumerable<Command> Commands()
    {
        yield return DemoCommand.Create();
        yield return DecodeCommand.Create();
        yield return CreateCommand.Create();
        yield return InfoCommand.Create();
        yield return MerkleRootCommand.Create();
        yield return LabCommand.Create();
        yield return VerifyCommand.Create();
        yield return PeersCommand.Create();
        yield return ScrapeCommand.Create();
        yield return TrackerCommand.Create();
        yield return HandshakeCommand.Create();
        yield return DownloadPieceCommand.Create(magnet: false);
        yield return DownloadCommand.Create(magnet: false);
        yield return MagnetParseCommand.Create();
        yield return HandshakeCommand.CreateMagnet();
        yield return MagnetInfoCommand.Create();
        yield return DownloadPieceCommand.Create(magnet: true);
        yield return DownloadCommand.Create(magnet: true);
        yield return DhtCommand.Create();
        yield return ServeCommand.Create();
        yield return SeedCommand.Create();
    }

    /// <summary>Parses and runs; a usage error prints one line and exits with <see cref="ExitCodes.Usage"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? stderr = null, TextWriter? stdout = null)
    {
        stderr ??= Console.Error;
        stdout ??= Console.Out;
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Action is System.CommandLine.Help.HelpAction)
        {
            var help = new StringWriter();
            parse.Invoke(new InvocationConfiguration { Output = help });
            stdout.Write(HelpText.Rewrite(help.ToString(), root, parse.CommandResult.Command));
            return ExitCodes.Ok;
        }
        if (parse.Errors.Count > 0)
        {
            // One line even when the parser lists the allowed values on lines of their own.
            var message = ValueParsers.Plain(string.Join(' ', parse.Errors[0].Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
            stderr.WriteLine($"error: {message} (see 'torrentlab --help')");
            return ExitCodes.Usage;
        }
        // Ctrl-C (SIGINT) and SIGTERM cancel the command's token; the command saves what it must and exits with
        // ExitCodes.Interrupted and one line. A second signal is not intercepted, so it ends the process at once.
        StopOnSigint();
        using var interrupt = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = !interrupt.IsCancellationRequested;
            interrupt.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        // System.CommandLine's own termination handling is off: it could end the process with 130 before the
        // command had said anything.
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(config, interrupt.Token).ConfigureAwait(false);
    }

    /// <summary>Makes Ctrl-C and <c>kill -INT</c> reach the handler <see cref="RunAsync"/> registers even when SIGINT was ignored on entry.</summary>
    /// <remarks>A shell without job control (a script) starts <c>torrentlab ... &amp;</c> with SIGINT ignored, and the
    /// runtime keeps an ignored signal ignored, handler or not: the script's <c>kill -INT</c> then did nothing. The
    /// disposition goes back to the default before the handler is registered, so the handler is installed and the
    /// download stops cleanly, its ledger saved. (A script's Ctrl-C at the terminal now stops its background downloads
    /// too; one that should outlive it can be started with <c>setsid</c>.)</remarks>
    private static void StopOnSigint()
    {
        if (OperatingSystem.IsWindows()) return;
        const int sigint = 2; // POSIX: SIGINT is 2 on every Unix
        _ = Signal(sigint, 0); // SIG_DFL is 0 on every Unix
    }

    [DllImport("libc", EntryPoint = "signal")]
    private static extern nint Signal(int signal, nint handler);
}
