using System.CommandLine;
using TorrentLab.Dht;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab dht get_peers &lt;infohash&gt; --bootstrap HOST:PORT</c>: an iterative get_peers lookup;
/// prints each peer found as <c>ip:port</c>, and with <c>--verbose</c> every hop on stderr.</summary>
internal static class DhtGetPeersCommand
{
    public static Command Create()
    {
        var infoHash = new Argument<string>("infohash") { Description = "The torrent's info hash, 40 hex digits" };
        var bootstrap = DhtCommand.BootstrapOption();
        var state = DhtCommand.StateOption();
        var verbose = new Option<bool>("--verbose") { Description = "Print every hop of the lookup, with its distance to the info hash, on stderr" };
        var timeout = DhtCommand.TimeoutOption(30);
        var command = new Command("get_peers", "Look up the peers of an info hash in the DHT (BEP 5 get_peers) and print them, ip:port per line.")
        {
            infoHash, bootstrap, state, verbose, timeout,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(infoHash) is { } hex && DhtCommand.CheckHex(hex, 40, "an info hash") is { } bad) result.AddError(bad);
            foreach (var node in result.GetValue(bootstrap) ?? [])
                if (PeerAddress.Check(node, "--dht-bootstrap") is { } error) result.AddError(error);
        });
        return command.WithAction(async (parse, ct) =>
        {
            var statePath = parse.GetValue(state);
            var nodes = DhtCommand.StartingNodes(parse.GetValue(bootstrap) ?? [], statePath);
            var options = DhtCommand.NodeOptions(nodes, parse.GetValue(timeout), statePath);
            var target = NodeId.FromHex(parse.GetValue(infoHash)!);
            var hops = 0;
            Action<LookupHop>? onHop = parse.GetValue(verbose) ? hop => Console.Error.WriteLine(HopLine(++hops, hop)) : null;

            await using var dht = await DhtNode.StartAsync(options, ct).ConfigureAwait(false);
            if (onHop is not null) Console.Error.WriteLine($"our node {dht.Id.Hex} on {dht.LocalEndPoint}, starting from {nodes.Count} bootstrap node(s) and {(statePath is null ? "no saved table" : statePath)}");
            var found = 0;
            await foreach (var peer in dht.GetPeersAsync(target, onHop, ct).ConfigureAwait(false))
            {
                Console.Out.WriteLine(peer);
                found++;
            }
            if (onHop is not null) Console.Error.WriteLine($"done: {found} peer(s); {dht.Stats}");
            if (found > 0) return ExitCodes.Ok;
            Console.Error.WriteLine($"error: no peers found for {target.Hex} ({dht.Stats.QueriesSent} queries sent, {dht.NodeCount} nodes known)");
            return ExitCodes.Failed;
        });
    }

    /// <summary>One hop as --verbose prints it: the node, its distance to the target, and what it answered.</summary>
    internal static string HopLine(int number, LookupHop hop)
    {
        var id = hop.Id is { } known ? known.Hex[..12] : "(unknown id)";
        var distance = hop.LogDistance >= 0 ? $"distance 2^{hop.LogDistance}" : "distance ?";
        return hop.Error is not null
            ? $"hop {number,3}: {hop.Node,-21} {id} {distance}: no answer ({hop.Error})"
            : $"hop {number,3}: {hop.Node,-21} {id} {distance}: {hop.Nodes} nodes ({hop.Closer} closer), {hop.Peers} peers";
    }
}
