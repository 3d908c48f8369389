using System.CommandLine;
using TorrentLab.Dht;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab dht ping HOST:PORT</c>: sends a KRPC ping and prints <c>Node ID: &lt;40 hex&gt;</c>.</summary>
internal static class DhtPingCommand
{
    public static Command Create()
    {
        var node = new Argument<string>("node") { Description = "The DHT node's UDP address, HOST:PORT" };
        var timeout = DhtCommand.TimeoutOption(5);
        var command = new Command("ping", "Send a KRPC ping (BEP 5) to a DHT node and print its node id.") { node, timeout };
        command.Validators.Add(result =>
        {
            if (result.GetValue(node) is { } text && DhtCommand.CheckHostPort(text) is { } error) result.AddError(error);
        });
        return command.WithAction(async (parse, ct) =>
        {
            var seconds = parse.GetValue(timeout);
            var options = DhtCommand.NodeOptions([parse.GetValue(node)!], seconds, state: null) with { Bootstrap = [], QueryTimeout = TimeSpan.FromSeconds(seconds) };
            var target = (await DhtNode.ResolveAsync([parse.GetValue(node)!], options.LoopbackOnly, ct).ConfigureAwait(false))[0];
            await using var dht = await DhtNode.StartAsync(options, ct).ConfigureAwait(false);
            // UDP loses datagrams: the ping goes out again after each third of the timeout (DhtCommand.AskWithResendsAsync).
            var id = await DhtCommand.AskWithResendsAsync(t => dht.PingAsync(target, t), target, "pings", seconds, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Node ID: {id.Hex}");
            return ExitCodes.Ok;
        });
    }
}
