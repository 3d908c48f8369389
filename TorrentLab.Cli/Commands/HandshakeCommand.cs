using System.CommandLine;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Metainfo;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab handshake &lt;file.torrent&gt; &lt;ip:port&gt;</c>: prints the peer's id (a classroom stage).</summary>
internal static class HandshakeCommand
{
    public static Command Create()
    {
        var torrent = new Argument<string>("torrent") { Description = "The .torrent file" };
        var peer = new Argument<string>("peer") { Description = "The peer's address, ip:port" };
        var trace = new Option<bool>("--trace") { Description = "Print the messages exchanged on stderr" };
        var traceBytes = new Option<bool>("--trace-bytes") { Description = "With --trace, add the hex of the first bytes" };
        var command = new Command("handshake", "Connect to a peer, exchange BEP 3 handshakes and print its peer id.") { torrent, peer, trace, traceBytes };
        command.Validators.Add(result =>
        {
            if (result.GetValue(peer) is { } text && !IPEndPoint.TryParse(text, out _)) result.AddError($"expected ip:port, got '{text}'");
        });
        command.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var loaded = Torrent.Load(parse.GetValue(torrent)!);
            var bytes = parse.GetValue(traceBytes);
            var id = await TorrentClient.HandshakeAsync(loaded, IPEndPoint.Parse(parse.GetValue(peer)!),
                parse.GetValue(trace) || bytes ? e => Console.Error.WriteLine(DownloadSettings.TraceLine(e, bytes)) : null, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Peer ID: {id.Hex}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
