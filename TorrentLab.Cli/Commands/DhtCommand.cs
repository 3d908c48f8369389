using System.CommandLine;
using System.Net;
using TorrentLab.Dht;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab dht</c>: the DHT (BEP 5) step by step. <c>ping</c> asks one node for its id,
/// <c>get_peers</c> walks the DHT to the peers of an info hash.</summary>
internal static class DhtCommand
{
    public static Command Create() =>
        CommandParts.Group("dht", "The Mainline DHT (BEP 5): ping a node, look up the peers of an info hash.",
            DhtPingCommand.Create(), DhtGetPeersCommand.Create());

    /// <summary>The <c>--timeout</c> option in seconds shared by the dht commands.</summary>
    public static Option<double> TimeoutOption(double seconds) => new("--timeout")
    {
        Description = $"Seconds to wait for an answer (default {seconds})", DefaultValueFactory = _ => seconds,
    };

    /// <summary>Checks <c>HOST:PORT</c> for a validator: null when fine, else the error.</summary>
    public static string? CheckHostPort(string text) => PeerAddress.Check(text, "the node address");

    /// <summary>Options for a short-lived node of the classroom commands: nothing saved, the given timeout; a node of the
    /// IPv6 DHT (BEP 32) when every node given is an IPv6 literal (<c>[::1]:6881</c>), else of the IPv4 DHT.</summary>
    public static DhtNodeOptions NodeOptions(IReadOnlyList<string> bootstrap, double timeoutSeconds, string? state)
    {
        if (timeoutSeconds is <= 0 or > 3600) throw new UsageException($"--timeout must be between 0 and 3600 seconds, got {timeoutSeconds}");
        var ipv6 = bootstrap.Count > 0 && bootstrap.All(b => System.Net.IPEndPoint.TryParse(b, out var e) && e.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6);
        return new DhtNodeOptions
        {
            Bootstrap = bootstrap,
            LocalEndPoint = new System.Net.IPEndPoint(ipv6 ? System.Net.IPAddress.IPv6Any : System.Net.IPAddress.Any, 0),
            StatePath = state,
            QueryTimeout = TimeSpan.FromSeconds(Math.Min(timeoutSeconds, 3)),
            LookupTimeout = TimeSpan.FromSeconds(timeoutSeconds),
        };
    }
}
