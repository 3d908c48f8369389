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
        command.SetAction((parse, ct) => CliErrors.GuardAsync(async () =>
        {
            var seconds = parse.GetValue(timeout);
            var options = DhtCommand.NodeOptions([], seconds, state: null) with { QueryTimeout = TimeSpan.FromSeconds(seconds) };
            var target = (await DhtNode.ResolveAsync([parse.GetValue(node)!], options.LoopbackOnly, ct).ConfigureAwait(false))[0];
            await using var dht = await DhtNode.StartAsync(options, ct).ConfigureAwait(false);
            var id = await dht.PingAsync(target, ct).ConfigureAwait(false);
            Console.Out.WriteLine($"Node ID: {id.Hex}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
