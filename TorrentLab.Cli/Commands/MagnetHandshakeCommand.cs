using System.CommandLine;
using TorrentLab.Extensions;
using TorrentLab.Magnet;
using TorrentLab.Wire;

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
            var link = MagnetLink.Parse(parse.GetValue(uri)!);
            var ourId = PeerId.CreateOurs();
            var peers = await MagnetPeers.FindAsync(link, ourId, 6881, null, ct).ConfigureAwait(false);
            var options = new PeerConnectionOptions
            {
                AdvertiseExtensions = true,
                IdleTimeout = TimeSpan.FromSeconds(15),
                Trace = parse.GetValue(trace) ? e => Console.Error.WriteLine(DownloadSettings.TraceLine(e, false)) : null,
            };
            var failures = new List<string>();
            foreach (var peer in peers)
            {
                try
                {
                    await using var connection = await PeerConnection.ConnectAsync(peer, link.InfoHash, ourId, options, ct).ConfigureAwait(false);
                    if (!connection.SupportsExtensions)
                    {
                        failures.Add($"{peer}: no extension bit in its handshake");
                        continue;
                    }
                    var channel = new ExtensionChannel(connection, ExtensionHandshake.Ours(peer, null, null, pex: false));
                    await channel.SendHandshakeAsync(ct).ConfigureAwait(false);   // right after the BEP 3 handshake
                    while (channel.Theirs is null)
                    {
                        var message = await connection.ReceiveAsync(ct).ConfigureAwait(false);
                        if (message.Kind == MessageKind.Extended) channel.Route(message);   // bitfield and others wait
                    }
                    Console.Out.WriteLine($"Peer ID: {connection.RemotePeerId.Hex}");
                    Console.Out.WriteLine(channel.TryGetTheirId(ExtensionIds.UtMetadataName, out var id)
                        ? $"Peer Metadata Extension ID: {id}"
                        : "Peer Metadata Extension ID: (none: the peer does not offer ut_metadata)");
                    return ExitCodes.Ok;
                }
                catch (Exception e) when (e is WireException or ExtensionException)
                {
                    failures.Add(e.Message);
                }
            }
            throw new MetadataException($"no peer completed the extension handshake ({(failures.Count == 0 ? "no peers" : string.Join("; ", failures))})");
        }, ct));
        return command;
    }
}
