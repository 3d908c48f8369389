using System.CommandLine;
using System.Text.Json;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab peers &lt;file.torrent&gt;</c>: announces once (event started) and prints the peers, one per line.</summary>
internal static class PeersCommand
{
    public static Command Create()
    {
        var shared = new TrackerCommandOptions();
        var port = new Option<int>("--port", "-p") { Description = "The port we tell the tracker we listen on, 1..65535", DefaultValueFactory = _ => 6881 }.InRange(1, 65535);
        var command = shared.Command("peers", "Announce to the torrent's tracker and print the peers it returns (ip:port per line).");
        command.Options.Add(port);
        return command.WithAction(async (parse, ct) =>
        {
            var (torrent, client) = shared.Open(parse);
            var listenPort = parse.GetValue(port);
            if (listenPort is < 1 or > 65535) throw new UsageException($"--port must be between 1 and 65535, got {listenPort}");
            // Nothing downloaded yet: left is the whole torrent.
            var request = new AnnounceRequest(torrent.InfoHash, PeerId.CreateOurs(), listenPort, 0, 0, torrent.TotalLength, AnnounceEvent.Started);
            var response = await client.AnnounceAsync(request, ct).ConfigureAwait(false);
            if (response.WarningMessage is not null) Console.Error.WriteLine($"warning: tracker: {response.WarningMessage}");
            var peers = response.Peers.Select(p => p.ToString()).ToList(); // IPv6 prints as [addr]:port
            if (parse.GetValue(shared.Json))
            {
                var body = new PeersJson(peers, (int)response.Interval.TotalSeconds, (int?)response.MinInterval?.TotalSeconds,
                    response.Complete, response.Incomplete, response.WarningMessage, response.TrackerId);
                Console.Out.WriteLine(JsonSerializer.Serialize(body, TrackerJsonContext.Default.PeersJson));
            }
            else
            {
                foreach (var peer in peers) Console.Out.WriteLine(peer);
            }
            await LeaveAsync(client, request, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
    }

    /// <summary>Announces <c>stopped</c> (BEP 3), so the tracker does not list us as a leecher until we time out there.
    /// The peers are printed already: a tracker that fails this second announce changes nothing for the user.</summary>
    private static async Task LeaveAsync(TrackerClient client, AnnounceRequest started, CancellationToken ct)
    {
        try
        {
            await client.AnnounceAsync(started with { Event = AnnounceEvent.Stopped }, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TrackerException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // Best effort: the tracker forgets us after its own timeout.
        }
    }
}
