using System.CommandLine;
using TorrentLab.Client;
using TorrentLab.Downloads;

namespace TorrentLab.Cli.Commands;

/// <summary>What the classroom's download commands share, in their .torrent and magnet shapes: the source, <c>-o</c>,
/// for a magnet link <c>--save-torrent</c>, the download settings, and opening the source.</summary>
internal sealed class ClassroomSource
{
    /// <param name="magnet">True for the <c>magnet_*</c> shape (the source is a magnet link).</param>
    /// <param name="output">What <c>-o</c> names for this command.</param>
    public ClassroomSource(bool magnet, string output)
    {
        IsMagnet = magnet;
        Source = magnet ? CommandParts.MagnetArgument() : CommandParts.TorrentArgument();
        Output = new Option<string>("--output", "-o") { Description = output, Required = true };
        SaveTorrent = magnet ? MagnetInfoCommand.SaveTorrentOption() : null;
    }

    public bool IsMagnet { get; }
    public Argument<string> Source { get; }
    public Option<string> Output { get; }
    public Option<string?>? SaveTorrent { get; }
    public DownloadSettings Settings { get; } = new(classroom: true);

    /// <summary>The command <paramref name="name"/> (<c>magnet_</c><paramref name="name"/> for a magnet link) with
    /// <c>-o</c>, the source, then <paramref name="more"/> arguments, <c>--save-torrent</c> for a magnet link, and the
    /// download settings.</summary>
    public Command Command(string name, string description, params Argument[] more)
    {
        var command = new Command(IsMagnet ? "magnet_" + name : name, description) { Output, Source };
        foreach (var argument in more) command.Arguments.Add(argument);
        if (SaveTorrent is not null) command.Options.Add(SaveTorrent);
        Settings.AddTo(command);
        return command;
    }

    /// <summary>The torrent the source names (a magnet link's metadata fetched from peers) and the link's own peers.</summary>
    public Task<OpenedTorrent> OpenAsync(ParseResult parse, CancellationToken ct)
    {
        var options = Settings.Read(parse, ".");
        CommandParts.RequirePeerSource(parse.GetValue(Source)!, options.Session.Dht);
        return TorrentClient.OpenAsync(parse.GetValue(Source)!, options, SaveTorrent is null ? null : parse.GetValue(SaveTorrent), ct);
    }

    /// <summary>The download options the command line asks for, writing to <paramref name="outputDirectory"/>, with the
    /// link's own peers dialled first.</summary>
    public DownloadOptions Options(ParseResult parse, OpenedTorrent opened, string outputDirectory)
    {
        var options = Settings.Read(parse, outputDirectory);
        return options with { ExtraPeers = [.. opened.Peers, .. options.ExtraPeers] };
    }
}
