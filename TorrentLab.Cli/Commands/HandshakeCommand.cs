using System.CommandLine;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Metainfo;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab handshake &lt;file.torrent&gt; &lt;ip:port&gt;</c>: prints the peer's id; and
/// <c>magnet_handshake "&lt;magnet link&gt;"</c>: BEP 3 handshake with the extension bit, then the BEP 10 extension
/// handshake, printing the peer's id and the id it receives ut_metadata on (classroom stages).</summary>
internal static class HandshakeCommand
{
    public static Command Create()
    {
        var torrent = CommandParts.TorrentArgument();
        var peer = new Argument<string>("peer") { Description = "The peer's address, HOST:PORT" };
        var trace = TraceOption();
        var traceBytes = new Option<bool>("--trace-bytes") { Description = "With --trace, add the hex of the first bytes" };
        var command = new Command("handshake", "Connect to a peer, exchange BEP 3 handshakes and print its peer id.") { torrent, peer, trace, traceBytes };
        command.Validators.Add(result =>
        {
            if (result.GetValue(peer) is { } text && PeerAddress.Check(text, "the peer address") is { } error) result.AddError(error);
        });
        return command.WithAction(async (parse, ct) =>
        {
            var loaded = Torrent.Load(parse.GetValue(torrent)!);
            var bytes = parse.GetValue(traceBytes);
            var id = await TorrentClient.HandshakeAsync(loaded, PeerAddress.Resolve(parse.GetValue(peer)!, "the peer address"),
                parse.GetValue(trace) || bytes ? e => Console.Error.WriteLine(DownloadSettings.TraceLine(e, bytes)) : null, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Peer ID: {id.Hex}");
            return ExitCodes.Ok;
        });
    }

    public static Command CreateMagnet()
    {
        var uri = CommandParts.MagnetArgument();
        var trace = TraceOption();
        var command = new Command("magnet_handshake", "Connect to a peer of a magnet link and exchange BEP 3 and BEP 10 handshakes.") { uri, trace };
        return command.WithAction(async (parse, ct) =>
        {
            var (peer, metadataId) = await TorrentClient.MagnetHandshakeAsync(parse.GetValue(uri)!,
                parse.GetValue(trace) ? e => Console.Error.WriteLine(DownloadSettings.TraceLine(e, false)) : null, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Peer ID: {peer.Hex}");
            Console.Out.WriteLine(metadataId is { } id
                ? $"Peer Metadata Extension ID: {id}"
                : "Peer Metadata Extension ID: (none: the peer does not offer ut_metadata)");
            return ExitCodes.Ok;
        });
    }

    private static Option<bool> TraceOption() => new("--trace") { Description = "Print the messages exchanged on stderr" };
}
