using System.CommandLine;
using TorrentLab.Client;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab magnet_handshake "&lt;magnet link&gt;"</c>: BEP 3 handshake with the extension bit, then the BEP 10
/// extension handshake; prints the peer's id and the id it receives ut_metadata on (a classroom stage).</summary>
internal static class MagnetHandshakeCommand
{
    public static Command Create()
    {
        var uri = new Argument<string>("magnet") { Description = "The magnet link (quote it: it contains '&')" };
        var trace = new Option<bool>("--trace") { Description = "Print the messages exchanged on stderr" };
        var command = new Command("magnet_handshake", "Connect to a peer of a magnet link and exchange BEP 3 and BEP 10 handshakes.") { uri, trace };
        command.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var (peer, metadataId) = await TorrentClient.MagnetHandshakeAsync(parse.GetValue(uri)!,
                parse.GetValue(trace) ? e => Console.Error.WriteLine(DownloadSettings.TraceLine(e, false)) : null, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Peer ID: {peer.Hex}");
            Console.Out.WriteLine(metadataId is { } id
                ? $"Peer Metadata Extension ID: {id}"
                : "Peer Metadata Extension ID: (none: the peer does not offer ut_metadata)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
