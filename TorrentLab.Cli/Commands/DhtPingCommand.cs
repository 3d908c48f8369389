using System.CommandLine;
using TorrentLab.Dht;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab dht ping HOST:PORT</c>: sends a KRPC ping and prints <c>Node ID: &lt;40 hex&gt;</c>.</summary>
internal static class DhtPingCommand
{
    private const int Attempts = 3;

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
            // UDP loses datagrams: the ping is sent up to Attempts times, sharing the timeout.
            var options = DhtCommand.NodeOptions([], seconds, state: null) with { QueryTimeout = TimeSpan.FromSeconds(seconds / Attempts) };
            var target = (await DhtNode.ResolveAsync([parse.GetValue(node)!], options.LoopbackOnly, ct).ConfigureAwait(false))[0];
            await using var dht = await DhtNode.StartAsync(options, ct).ConfigureAwait(false);
            for (var attempt = 1; attempt <= Attempts; attempt++)
            {
                try
                {
                    var id = await dht.PingAsync(target, ct).ConfigureAwait(false);
                    Console.Out.WriteLine($"Node ID: {id.Hex}");
                    return ExitCodes.Ok;
                }
                catch (DhtException e) when (e.ErrorCode is null) { } // no answer: try again
            }
            throw new DhtException($"{target} did not answer {Attempts} pings within {seconds:0.#} s");
        });
    }
}
