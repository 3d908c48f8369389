using System.CommandLine;
using TorrentLab.Dht;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab dht sample_infohashes HOST:PORT</c>: asks one node for a sample of the info hashes it stores
/// (BEP 51); prints <c>Interval:</c>, <c>Num:</c>, then one sampled info hash per line.</summary>
internal static class DhtSampleCommand
{
    /// <summary>BEP 5 error 204, "Method Unknown": what a node without BEP 51 answers.</summary>
    private const int MethodUnknown = 204;

    public static Command Create()
    {
        var node = new Argument<string>("node") { Description = "The DHT node's UDP address, HOST:PORT" };
        var target = new Option<string?>("--target")
        {
            Description = "40 hex digits: the node also returns its nodes closest to this id (default: a random id)",
        };
        var verbose = new Option<bool>("--verbose") { Description = "Print the nodes the answer names on stderr, id and address" };
        var port = DhtCommand.PortOption();
        var timeout = DhtCommand.TimeoutOption(5);
        var command = new Command("sample_infohashes", "Ask a DHT node for a sample of the info hashes it stores (BEP 51) and print them.")
        {
            node, target, verbose, timeout, port,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(node) is { } text && DhtCommand.CheckHostPort(text) is { } error) result.AddError(error);
            if (result.GetValue(target) is { } hex && DhtCommand.CheckHex(hex, 40, "an id (--target)") is { } badTarget) result.AddError(badTarget);
        });
        return command.WithAction(async (parse, ct) =>
        {
            var seconds = parse.GetValue(timeout);
            var options = DhtCommand.NodeOptions([parse.GetValue(node)!], seconds, state: null, parse.GetValue(port)) with { Bootstrap = [], QueryTimeout = TimeSpan.FromSeconds(seconds) };
            var address = (await DhtNode.ResolveAsync([parse.GetValue(node)!], options.LoopbackOnly, ct).ConfigureAwait(false))[0];
            await using var dht = await DhtCommand.StartNodeAsync(options, ct).ConfigureAwait(false);
            var id = parse.GetValue(target) is { } hex ? NodeId.FromHex(hex) : (NodeId?)null;
            InfohashSample sample;
            try
            {
                // UDP loses datagrams: the query goes out again after each third of the timeout, as ping's does.
                sample = await DhtCommand.AskWithResendsAsync(t => dht.SampleInfohashesAsync(address, id, t), address, "sample_infohashes queries", seconds, ct).ConfigureAwait(false);
            }
            catch (DhtException e) when (e.ErrorCode == MethodUnknown)
            {
                throw new DhtException($"{address} does not support sample_infohashes (BEP 51): {e.Message}", e) { ErrorCode = e.ErrorCode };
            }
            Console.Out.WriteLine($"Interval: {(long)sample.Interval.TotalSeconds} s");
            Console.Out.WriteLine($"Num: {sample.Num}");
            foreach (var hash in sample.Samples) Console.Out.WriteLine(hash.Hex);
            if (parse.GetValue(verbose))
                foreach (var contact in sample.Nodes) Console.Error.WriteLine($"node {contact.Id.Hex} {contact.EndPoint}");
            return ExitCodes.Ok;
        });
    }
}
