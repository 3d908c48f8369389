using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>Serves <c>GET /announce</c> (BEP 3, 23, 7) and <c>GET /scrape</c> (BEP 48) from the swarm.</summary>
/// <remarks>Invalid requests get HTTP 200 with a bencoded <c>failure reason</c> naming the problem, as BEP 3
/// trackers answer and as classroom checkers expect.</remarks>
internal sealed class HttpTrackerEndpoint(TrackerServerOptions options, TrackedSwarm swarm, TrackerFaults faults)
{
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var isAnnounce = path.EndsWith("/announce", StringComparison.Ordinal);
        var isScrape = path.EndsWith("/scrape", StringComparison.Ordinal);
        if (!isAnnounce && !isScrape)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var remote = Normalize(context.Connection.RemoteIpAddress);
        var fault = faults.Take();
        switch (fault)
        {
            case TrackerFault.Http500:
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsync("scripted internal server error", context.RequestAborted).ConfigureAwait(false);
                return;
            case TrackerFault.DropConnection:
                context.Abort();
                return;
            case TrackerFault.FailureReason:
                await WriteAsync(context, Failure(faults.FailureReason)).ConfigureAwait(false);
                return;
            case TrackerFault.GarbageBencode:
                await WriteAsync(context, "<html>this is not bencode</html>"u8.ToArray()).ConfigureAwait(false);
                return;
            case TrackerFault.SlowAnswer:
                await Task.Delay(faults.SlowDelay, context.RequestAborted).ConfigureAwait(false);
                break;
        }
        byte[] body;
        try
        {
            var query = TrackerQuery.Parse(context.Request.QueryString.Value);
            body = isAnnounce ? Announce(query, remote, fault) : Scrape(query, remote);
        }
        catch (TrackerException e)
        {
            options.Log?.Invoke($"rejected {(isAnnounce ? "announce" : "scrape")} from {remote}: {e.Message}");
            body = Failure(e.Message);
        }
        // Cut the answer in half: the client must notice the bencode is incomplete.
        if (fault == TrackerFault.TruncatedBencode) body = body[..(body.Length / 2)];
        await WriteAsync(context, body).ConfigureAwait(false);
    }

    private byte[] Announce(TrackerQuery query, IPAddress remote, TrackerFault fault)
    {
        var request = TrackerRequestRules.ValidateAnnounce(query, options.AllowedInfoHashes);
        var endPoint = new IPEndPoint(remote, request.Port);
        var numWant = Math.Min(request.NumWant, options.MaxPeersPerAnswer);
        var (peers, seeders, leechers) = swarm.Announce(request.InfoHash, request.PeerId, endPoint, request.Left, request.Event, numWant);
        if (fault == TrackerFault.EmptyPeerList) peers.Clear();
        var echoed = request.TrackerId is null ? "" : $" trackerid={request.TrackerId}";
        options.Log?.Invoke($"announce http {endPoint} {request.InfoHash.Hex} event={Name(request.Event)} left={request.Left}{echoed} -> {peers.Count} peer(s), {seeders} seeder(s), {leechers} leecher(s)");

        var answer = new BDictionary()
            .Set("interval", new BInteger((long)options.Interval.TotalSeconds))
            .Set("complete", new BInteger(seeders))
            .Set("incomplete", new BInteger(leechers));
        if (options.MinInterval is { } min) answer.Set("min interval", new BInteger((long)min.TotalSeconds));
        if (options.TrackerId is not null) answer.Set("tracker id", new BString(options.TrackerId));
        if (request.Compact)
        {
            // BEP 23: IPv4 peers as 6-byte entries; BEP 7: IPv6 peers as 18-byte entries under peers6.
            var compact = CompactPeers.Encode(peers.Select(p => p.EndPoint), AddressFamily.InterNetwork);
            if (fault == TrackerFault.TruncatedCompactPeers) compact = [.. compact, 0x7F, 0x00, 0x00];
            answer.Set("peers", new BString(compact));
            var compact6 = CompactPeers.Encode(peers.Select(p => p.EndPoint), AddressFamily.InterNetworkV6);
            if (compact6.Length > 0) answer.Set("peers6", new BString(compact6));
        }
        else
        {
            // BEP 3: "a list of dictionaries corresponding to peers, each of which contains the keys peer id, ip and port"
            answer.Set("peers", new BList(peers.Select(p =>
            {
                var entry = new BDictionary().Set("ip", new BString(p.EndPoint.Address.ToString())).Set("port", new BInteger(p.EndPoint.Port));
                if (!request.NoPeerId) entry.Set("peer id", new BString(p.PeerId.Bytes.ToArray()));
                return (BValue)entry;
            }).ToList()));
        }
        return BencodeWriter.Encode(answer);
    }

    // BEP 48: "d5:filesd20:<info hash>d8:completei5e10:downloadedi50e10:incompletei10eeee"; no info_hash: every torrent.
    // BEP 21: "If the tracker supports this extension, it MUST add a fourth field, 'downloaders'".
    private byte[] Scrape(TrackerQuery query, IPAddress remote)
    {
        var asked = query.All("info_hash");
        var hashes = asked.Count == 0 ? swarm.InfoHashes : asked.Select(TrackerRequestRules.ToInfoHash).ToList();
        var files = new BDictionary();
        foreach (var hash in hashes)
        {
            var stats = swarm.Scrape(hash);
            files.Set(hash.Bytes.ToArray(), new BDictionary()
                .Set("complete", new BInteger(stats.Seeders))
                .Set("downloaded", new BInteger(stats.Completed))
                .Set("downloaders", new BInteger(stats.Downloaders ?? stats.Leechers))
                .Set("incomplete", new BInteger(stats.Leechers)));
        }
        options.Log?.Invoke($"scrape http {remote} {string.Join(',', hashes.Select(h => h.Hex))}");
        return BencodeWriter.Encode(new BDictionary().Set("files", files));
    }

    internal static byte[] Failure(string reason) => BencodeWriter.Encode(new BDictionary().Set("failure reason", new BString(reason)));

    private static async Task WriteAsync(HttpContext context, byte[] body)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    internal static string Name(AnnounceEvent evt) => HttpTrackerUrl.EventName(evt) ?? "none";

    internal static IPAddress Normalize(IPAddress? address) =>
        address is null ? IPAddress.Loopback : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
