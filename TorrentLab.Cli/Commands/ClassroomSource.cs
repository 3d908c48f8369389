using System.CommandLine;

namespace TorrentLab.Cli.Commands;

/// <summary>The arguments the classroom's download commands share, in their .torrent and magnet shapes: the source,
/// <c>-o</c>, and for a magnet link <c>--save-torrent</c>.</summary>
internal sealed class ClassroomSource
{
    /// <param name="magnet">True for the <c>magnet_*</c> shape (the source is a magnet link).</param>
    /// <param name="output">What <c>-o</c> names for this command.</param>
    public ClassroomSource(bool magnet, string output)
    {
        Source = magnet
            ? new Argument<string>("magnet") { Description = "The magnet link (quote it: it contains '&')" }
            : new Argument<string>("torrent") { Description = "The .torrent file" };
        Output = new Option<string>("--output", "-o") { Description = output, Required = true };
        SaveTorrent = magnet ? MagnetInfoCommand.SaveTorrentOption() : null;
    }

    public Argument<string> Source { get; }
    public Option<string> Output { get; }
    public Option<string?>? SaveTorrent { get; }

    /// <summary>A command with <c>-o</c>, the source, then <paramref name="more"/> arguments, <c>--save-torrent</c>
    /// for a magnet link, and the download settings.</summary>
    public Command Command(string name, string description, DownloadSettings settings, params Argument[] more)
    {
        var command = new Command(name, description) { Output, Source };
        foreach (var argument in more) command.Arguments.Add(argument);
        if (SaveTorrent is not null) command.Options.Add(SaveTorrent);
        settings.AddTo(command);
        return command;
    }

    /// <summary>The torrent the source names (a magnet link's metadata fetched from peers) and the link's own peers.</summary>
    public Task<Client.OpenedTorrent> OpenAsync(ParseResult parse, DownloadSettings settings, CancellationToken ct) =>
        Client.TorrentClient.OpenAsync(parse.GetValue(Source)!, settings.Read(parse, "."), SaveTorrent is null ? null : parse.GetValue(SaveTorrent), ct);
}
