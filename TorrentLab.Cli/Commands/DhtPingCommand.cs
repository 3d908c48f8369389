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
            // UDP loses datagrams: a ping goes out at the start and after each third of the timeout, and an answer to
            // any of them counts, however late within the timeout (a slow machine may read the first one late).
            var options = DhtCommand.NodeOptions([parse.GetValue(node)!], seconds, state: null) with { Bootstrap = [], QueryTimeout = TimeSpan.FromSeconds(seconds) };
            var target = (await DhtNode.ResolveAsync([parse.GetValue(node)!], options.LoopbackOnly, ct).ConfigureAwait(false))[0];
            await using var dht = await DhtNode.StartAsync(options, ct).ConfigureAwait(false);
            using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
            window.CancelAfter(TimeSpan.FromSeconds(seconds));
            var pings = new List<Task<NodeId>>();
            while (!window.IsCancellationRequested)
            {
                if (pings.Count < Attempts) pings.Add(dht.PingAsync(target, window.Token));
                var resend = Task.Delay(pings.Count < Attempts ? TimeSpan.FromSeconds(seconds / Attempts) : Timeout.InfiniteTimeSpan, window.Token);
                if (await Task.WhenAny([.. pings.Where(p => !p.IsFaulted && !p.IsCanceled), resend]).ConfigureAwait(false) is not Task<NodeId> answered)
                    continue; // time for the next ping, or the timeout
                try
                {
                    Console.Out.WriteLine($"Node ID: {(await answered.ConfigureAwait(false)).Hex}");
                    return ExitCodes.Ok;
                }
                catch (DhtException e) when (e.ErrorCode is null) { } // that one timed out: the others may still be answered
                catch (OperationCanceledException) when (window.IsCancellationRequested) { }
                if (pings.Count == Attempts && pings.All(p => p.IsCompleted)) break;
            }
            ct.ThrowIfCancellationRequested();
            throw new DhtException($"{target} did not answer {Attempts} pings within {seconds:0.#} s");
        });
    }
}
