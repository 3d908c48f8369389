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
        var bootstrap = new Option<string[]>("--bootstrap")
        {
            Description = "A node to start from, HOST:PORT (repeatable; default: the saved table and the public routers)",
            AllowMultipleArgumentsPerToken = false,
        };
        var state = new Option<string?>("--state") { Description = "A routing table file to read first and write afterwards (JSON)" };
        var verbose = new Option<bool>("--verbose") { Description = "Print every hop of the lookup, with its distance to the info hash, on stderr" };
        var timeout = DhtCommand.TimeoutOption(30);
        var command = new Command("get_peers", "Look up the peers of an info hash in the DHT (BEP 5 get_peers) and print them, ip:port per line.")
        {
            infoHash, bootstrap, state, verbose, timeout,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(infoHash) is { } hex && (hex.Length != 40 || !hex.All(Uri.IsHexDigit)))
                result.AddError($"expected an info hash of 40 hex digits, got '{hex}'");
            foreach (var node in result.GetValue(bootstrap) ?? [])
                if (DhtCommand.CheckHostPort(node) is { } error) result.AddError(error);
        });
        return command.WithAction(async (parse, ct) =>
        {
            var given = parse.GetValue(bootstrap) ?? [];
            var statePath = parse.GetValue(state);
            // Only when nothing else is given does the node reach for the public routers.
            IReadOnlyList<string> nodes = given.Length > 0 || statePath is not null && File.Exists(statePath) ? given : DhtNodeOptions.PublicRouters;
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
