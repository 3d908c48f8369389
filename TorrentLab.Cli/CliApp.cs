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
        yield return ImportCommand.Create();
        yield return AddCommand.Create();
        yield return SeedCommand.Create();
        yield return WhyCommand.Create();
        yield return PiecesCommand.Create();
        yield return ReplayCommand.Create();
    }

    /// <summary>Parses and runs; a usage error prints one line and exits with <see cref="ExitCodes.Usage"/>.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? stderr = null, TextWriter? stdout = null)
    {
        stderr ??= Console.Error;
        stdout ??= Console.Out;
        var root = Build();
        if (UnknownCommand(root, args) is { } unknown)
        {
            stderr.WriteLine($"error: {unknown} (see 'torrentlab --help')");
            return ExitCodes.Usage;
        }
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
            stderr.WriteLine($"error: {UsageError(parse)} (see 'torrentlab --help')");
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

    /// <summary>The one line a usage error prints. A word that looks like an option and that no option of the command
    /// matched is the mistake, named as an unknown option: the parser blames the word after a mistyped option when it
    /// took the option for the torrent (<c>--outptu x</c> was "unrecognized 'x'"). A hint follows when an option of the
    /// command was probably meant (<see cref="OptionHints"/>).</summary>
    internal static string UsageError(ParseResult parse)
    {
        const string unknown = "unknown option '";
        var command = parse.CommandResult.Command;
        if (parse.Errors.FirstOrDefault(e => e.Message.StartsWith(unknown, StringComparison.Ordinal)) is { } option)
            return option.Message + OptionHints.For(command, option.Message[unknown.Length..].TrimEnd('\''));
        if (parse.UnmatchedTokens.FirstOrDefault(CommandParts.LooksLikeAnOption) is { } word)
            return $"{unknown}{word}'{OptionHints.For(command, word)}";
        // One line even when the parser lists the allowed values on lines of their own.
        return ValueParsers.Plain(string.Join(' ', parse.Errors[0].Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
    }

    /// <summary>The error for a mistyped command name, blaming that word (not the next one) and suggesting the closest
    /// command; null when the words name commands, or when the first word may be the main download's torrent (an existing
    /// file or folder, a magnet link, a URL, a path or a name ending in .torrent: the download reports what is wrong
    /// with it).</summary>
    internal static string? UnknownCommand(RootCommand root, string[] args)
    {
        Command command = root;
        foreach (var word in args)
        {
            if (word.StartsWith('-') || command.Subcommands.Count == 0) return null; // options and arguments: the parser's
            if (command.Subcommands.FirstOrDefault(c => c.Name == word || c.Aliases.Contains(word)) is { } sub)
            {
                command = sub;
                continue;
            }
            if (ReferenceEquals(command, root) && MayBeATorrent(word)) return null;
            var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
            var within = ReferenceEquals(command, root) ? "" : $" of '{command.Name}'";
            var closest = names.OrderBy(n => Distance(n, word)).ThenBy(n => n, StringComparer.Ordinal).FirstOrDefault();
            var suggestion = closest is not null && Distance(closest, word) <= Math.Max(2, word.Length / 3) ? $"; did you mean '{closest}'?" : "";
            return ReferenceEquals(command, root)
                ? $"'{word}' is neither a command nor an existing .torrent file{suggestion}"
                : $"'{word}' is not a command{within}{(suggestion.Length > 0 ? suggestion : $"; its commands: {string.Join(", ", names)}")}";
        }
        return null;

        static bool MayBeATorrent(string word) =>
            Path.Exists(word) || word.Contains("://", StringComparison.Ordinal) || word.StartsWith("magnet:", StringComparison.OrdinalIgnoreCase)
            || word.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase) || word.IndexOfAny(['/', '\\']) >= 0;
    }

    /// <summary>The edit distance between two words (insertions, deletions, substitutions, and swaps of neighbours:
    /// <c>downlaod</c> is one from <c>download</c>).</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    /// <summary>Makes Ctrl-C and <c>kill -INT</c> reach the handler <see cref="RunAsync"/> registers even when SIGINT was ignored on entry.</summary>
    /// <remarks>A shell without job control (a script) starts <c>torrentlab ... &amp;</c> with SIGINT ignored, and the
    /// runtime keeps an ignored signal ignored, handler or not: the script's <c>kill -INT</c> then did nothing. The
    /// disposition goes back to the default before the handler is registered, so the handler is installed and the
    /// download stops cleanly, its ledger saved. (A script's Ctrl-C at the terminal now stops its background downloads
    /// too; one that should outlive it can be started with <c>setsid</c>.)</remarks>
    private static void StopOnSigint() => DefaultDisposition(2); // POSIX: SIGINT is 2 on every Unix

    /// <summary>Sets a signal's disposition back to the default, so that a handler registered after it is installed
    /// (the runtime keeps a signal ignored on entry ignored, handler or not). Serve does so for SIGHUP, which
    /// <c>nohup</c> passes on ignored: with its handler there, a hangup reloads the settings and never ends it.</summary>
    internal static void DefaultDisposition(int signal)
    {
        if (OperatingSystem.IsWindows()) return;
        _ = Signal(signal, 0); // SIG_DFL is 0 on every Unix
    }

    [DllImport("libc", EntryPoint = "signal")]
    private static extern nint Signal(int signal, nint handler);
}
