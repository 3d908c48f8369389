using System.CommandLine;
using System.Net;
using TorrentLab.Dht;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab dht</c>: the DHT (BEP 5) step by step. <c>ping</c> asks one node for its id,
/// <c>get_peers</c> walks the DHT to the peers of an info hash, <c>get</c> and <c>put</c> read and store items (BEP 44),
/// <c>sample_infohashes</c> asks one node what it stores (BEP 51).</summary>
internal static class DhtCommand
{
    public static Command Create() =>
        CommandParts.Group("dht", "The Mainline DHT (BEP 5): ping a node, look up peers, get and put items (BEP 44), sample info hashes (BEP 51).",
            DhtPingCommand.Create(), DhtGetPeersCommand.Create(), DhtGetCommand.Create(), DhtPutCommand.Create(), DhtSampleCommand.Create());

    /// <summary>The longest <c>--timeout</c>: an hour.</summary>
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1);

    /// <summary>The <c>--timeout DURATION</c> option shared by the dht commands, read as seconds: <c>30s</c>, <c>2m</c>,
    /// or a bare number of seconds, above 0 and at most an hour.</summary>
    public static Option<double> TimeoutOption(double seconds) => new("--timeout")
    {
        Description = $"How long to wait for answers, e.g. 10s, 2m (a bare number is seconds; above 0, at most 1h)",
        HelpName = "duration",
        DefaultValueFactory = _ => seconds,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
            if (Duration.TryParse(text, TimeSpan.FromSeconds(1)) is { } value && value > TimeSpan.Zero && value <= MaxTimeout) return value.TotalSeconds;
            result.AddError($"--timeout expects a duration above 0 up to 1h, such as 10s or 2m (a bare number is seconds), got '{text}'");
            return seconds;
        },
    };

    /// <summary><c>-p/--port N</c>: the UDP port our short-lived node binds (default: any free one), for a firewall
    /// that lets only one port through. A port given is bound or the command fails (exit 10).</summary>
    public static Option<int> PortOption() => new Option<int>("--port", "-p")
    {
        Description = "UDP port our node listens on (default 0: any free port); a port given is used or the command fails (exit 10)",
    }.Port();

    /// <summary>The repeatable <c>--dht-bootstrap HOST:PORT</c> option of the commands that walk the DHT: the one name
    /// the downloads, <c>seed</c> and <c>serve</c> use too. <c>--bootstrap</c> stays as a hidden alias for the classroom's
    /// shape (<c>dht get_peers &lt;infohash&gt; --bootstrap &lt;ip:port&gt;</c>, exercise 18).</summary>
    public static Option<string[]> BootstrapOption() => new Option<string[]>("--dht-bootstrap", HelpText.HiddenAlias)
    {
        Description = "A node to start from, HOST:PORT (repeatable; default: the saved table and the public routers)",
        AllowMultipleArgumentsPerToken = false,
    }.Each(v => PeerAddress.Check(v, "--dht-bootstrap"));

    /// <summary>The <c>--state FILE</c> option: a routing table to start from and save afterwards.</summary>
    public static Option<string?> StateOption() => new Option<string?>("--state") { Description = "A routing table file to read first and write afterwards (JSON)" }.FileNotFolder();

    /// <summary>The <c>--verbose</c> option of the item commands: the node's log on stderr.</summary>
    public static Option<bool> VerboseOption() => new("--verbose")
    {
        Description = "Print what our node does on stderr (bootstrap, answers that do not verify, puts refused and why)",
    };

    /// <summary>One line of the node's log on stderr, as <c>--verbose</c> shows it.</summary>
    public static void LogLine(string line) => Console.Error.WriteLine(line.StartsWith("dht: ", StringComparison.Ordinal) ? line : $"dht: {line}");

    /// <summary>Checks <c>HOST:PORT</c> for a validator: null when fine, else the error.</summary>
    public static string? CheckHostPort(string text) => PeerAddress.Check(text, "the node address");

    /// <summary>Null when <paramref name="text"/> is <paramref name="digits"/> hex digits, else the usage error.</summary>
    public static string? CheckHex(string text, int digits, string what) =>
        text.Length == digits && text.All(Uri.IsHexDigit) ? null : $"expected {what} of {digits} hex digits, got '{text}'";

    /// <summary>The nodes a walking command starts from: those given, else the saved table alone when there is one, else
    /// the public routers (only when nothing else is given does a node reach for them).</summary>
    public static IReadOnlyList<string> StartingNodes(string[] given, string? statePath) =>
        given.Length > 0 || statePath is not null && File.Exists(statePath) ? given : DhtNodeOptions.PublicRouters;

    /// <summary>Throws when no node answered at all (none entered our routing table): the DHT was not reached, which is
    /// a network failure rather than "nothing found".</summary>
    /// <exception cref="DhtException">Not one node answered.</exception>
    public static void RequireAnAnswer(DhtNode dht, IReadOnlyList<string> nodes)
    {
        if (dht.NodeCount > 0) return;
        var from = nodes.Count > 0 ? string.Join(", ", nodes) : "the saved table";
        throw new DhtException($"no DHT node answered ({from}; {dht.Stats.QueriesSent} queries sent, {dht.Stats.Timeouts} timed out)");
    }

    /// <summary>Starts our short-lived node; a port it cannot bind is named in the error (exit 10 for a port given).</summary>
    /// <exception cref="IOException">The node's UDP port is taken or not ours to take.</exception>
    public static async Task<DhtNode> StartNodeAsync(DhtNodeOptions options, CancellationToken ct)
    {
        try
        {
            return await DhtNode.StartAsync(options, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or DhtException && Unbindable(e) is { } socket)
        {
            throw new IOException($"cannot listen on UDP port {options.LocalEndPoint.Port} for the DHT ({socket.SocketErrorCode})", e);
        }

        static System.Net.Sockets.SocketException? Unbindable(Exception? e)
        {
            for (; e is not null; e = e.InnerException)
                if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse or System.Net.Sockets.SocketError.AccessDenied } s)
                    return s;
            return null;
        }
    }

    /// <summary>Options for a short-lived node of the classroom commands: nothing saved, the given timeout; read-only
    /// (BEP 43: it answers no queries and says so in its own, so the nodes it asks do not keep it in their tables and
    /// time out on it after it exits); a node of the IPv6 DHT (BEP 32) when every node given is an IPv6 literal
    /// (<c>[::1]:6881</c>), else of the IPv4 DHT.</summary>
    public static DhtNodeOptions NodeOptions(IReadOnlyList<string> bootstrap, double timeoutSeconds, string? state, int port = 0)
    {
        var ipv6 = bootstrap.Count > 0 && bootstrap.All(b => IPEndPoint.TryParse(b, out var e) && e.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6);
        return new DhtNodeOptions
        {
            Bootstrap = bootstrap,
            LocalEndPoint = new IPEndPoint(ipv6 ? IPAddress.IPv6Any : IPAddress.Any, port),
            StatePath = state,
            QueryTimeout = TimeSpan.FromSeconds(Math.Min(timeoutSeconds, 3)),
            LookupTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            ReadOnly = true,
        };
    }

    /// <summary>How many times a one-node command (ping, sample_infohashes) sends its query within its timeout.</summary>
    public const int Attempts = 3;

    /// <summary>Asks one node, sending the query again as UDP would need: at the start and after each third of the
    /// timeout, an answer to any of them counting however late within the timeout (a slow machine may read the first one
    /// late, a loaded node may miss it). An error answer ends it at once.</summary>
    /// <param name="what">The queries, in the plural, for the message (<c>pings</c>).</param>
    /// <exception cref="DhtException">An error answer, or no answer to any of the queries within the timeout.</exception>
    public static async Task<T> AskWithResendsAsync<T>(Func<CancellationToken, Task<T>> ask, IPEndPoint node, string what, double seconds, CancellationToken ct)
    {
        using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
        window.CancelAfter(TimeSpan.FromSeconds(seconds));
        // The queries not yet looked at: one that ended before a wait began (an error answer that came back at once) is
        // still looked at, never skipped for having ended.
        var unread = new List<Task<T>>();
        var sent = 0;
        while (!window.IsCancellationRequested)
        {
            if (sent < Attempts)
            {
                unread.Add(ask(window.Token));
                sent++;
            }
            var resend = Task.Delay(sent < Attempts ? TimeSpan.FromSeconds(seconds / Attempts) : Timeout.InfiniteTimeSpan, window.Token);
            if (await Task.WhenAny([.. unread, resend]).ConfigureAwait(false) is not Task<T> answered)
                continue; // time for the next query, or the timeout
            unread.Remove(answered);
            try
            {
                return await answered.ConfigureAwait(false);
            }
            catch (DhtException e) when (e.ErrorCode is null) { } // that one timed out: the others may still be answered
            catch (OperationCanceledException) when (window.IsCancellationRequested) { }
            if (sent == Attempts && unread.Count == 0) break;
        }
        ct.ThrowIfCancellationRequested();
        throw new DhtException($"{node} did not answer {Attempts} {what} within {seconds:0.#} s");
    }
}
