using System.CommandLine;
using TorrentLab.Client;
using TorrentLab.Magnet;

namespace TorrentLab.Cli.Commands;

/// <summary>What the commands are built from: the arguments several of them take, command groups, and the action
/// wrapper that turns every failure into one line and an exit code (<see cref="CliErrors"/>).</summary>
internal static class CommandParts
{
    /// <summary>The <c>torrent</c> argument: a .torrent file's path.</summary>
    public static Argument<string> TorrentArgument() => new Argument<string>("torrent") { Description = "The .torrent file" }.NotAnOption();

    /// <summary>Makes a file argument refuse a word that looks like an option (<c>--wrong</c>) when no file has that
    /// name: a mistyped option is reported as one, not as a missing file.</summary>
    public static Argument<T> NotAnOption<T>(this Argument<T> argument)
    {
        argument.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (LooksLikeAnOption(token.Value))
                    result.AddError($"unknown option '{token.Value}'");
        });
        return argument;
    }

    /// <summary>A word that starts with '-' (not '-' alone, which some commands read as standard input) and names no file.</summary>
    public static bool LooksLikeAnOption(string word) => word.Length > 1 && word[0] == '-' && !Path.Exists(word);

    /// <summary>The <c>magnet</c> argument: a magnet link (BEP 9).</summary>
    public static Argument<string> MagnetArgument() => new("magnet") { Description = "The magnet link (quote it: it contains '&')" };

    /// <summary>Refuses, as a usage error, a magnet link that names no tracker (<c>tr</c>) and no peer (<c>x.pe</c>)
    /// with the DHT off: nothing could find a peer to fetch its metadata from. Any other source is left to the command,
    /// which reports what is wrong with it.</summary>
    /// <param name="source">What the user named: a magnet link, a .torrent file, a URL.</param>
    /// <param name="dht">False with <c>--no-dht</c>.</param>
    public static void RequirePeerSource(string source, bool dht)
    {
        if (dht || !TorrentClient.IsMagnet(source)) return;
        MagnetLink link;
        try { link = MagnetLink.Parse(source); }
        catch (MagnetException) { return; } // not a valid link: opening it says why (exit 3)
        if (link.Trackers.Count == 0 && link.Peers.Count == 0)
            throw new UsageException("the magnet link names no tracker (tr) and no peer (x.pe), and --no-dht turns the DHT off: " +
                                     "there is no way to find peers (drop --no-dht, or add tr= or x.pe= to the link)");
    }

    /// <summary>A command that only holds <paramref name="subcommands"/> (<c>dht ping</c>, <c>lab check</c>, ...).</summary>
    public static Command Group(string name, string description, params Command[] subcommands)
    {
        var command = new Command(name, description);
        foreach (var subcommand in subcommands) command.Subcommands.Add(subcommand);
        return command;
    }

    /// <summary>Sets <paramref name="body"/> as the command's action: what it throws becomes one line on stderr and an
    /// exit code, and Ctrl-C cancels its token.</summary>
    public static TCommand WithAction<TCommand>(this TCommand command, Func<ParseResult, CancellationToken, Task<int>> body)
        where TCommand : Command
    {
        command.SetAction((parse, ct) => CliErrors.GuardAsync(() => body(parse, ct), ct));
        return command;
    }

    /// <summary>Sets a synchronous <paramref name="body"/> as the command's action, guarded the same way.</summary>
    public static TCommand WithAction<TCommand>(this TCommand command, Func<ParseResult, CancellationToken, int> body)
        where TCommand : Command =>
        command.WithAction((parse, ct) => Task.FromResult(body(parse, ct)));
}
