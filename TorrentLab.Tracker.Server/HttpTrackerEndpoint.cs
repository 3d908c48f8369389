using System.Net;
using System.Net.Sockets;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>Serves <c>GET /announce</c> (BEP 3, 23, 7) and <c>GET /scrape</c> (BEP 48) from the swarm.</summary>
/// <remarks>Invalid requests get HTTP 200 with a bencoded <c>failure reason</c> naming the problem, as BEP 3
/// trackers answer and as classroom checkers expect. The HTTP itself is <see cref="HttpTrackerConnection"/>'s.</remarks>
internal sealed class HttpTrackerEndpoint(TrackerServerOptions options, TrackedSwarm swarm, TrackerFaults faults)
{
    /// <summary>The answer to one GET whose request target (<c>/announce?info_hash=...</c>) is
    /// <paramref name="target"/>, from <paramref name="remote"/>.</summary>
    public HttpAnswer Answer(ReadOnlySpan<byte> target, IPAddress remote)
    {
        var query = Split(ref target);
        var path = target;
        var isAnnounce = path.EndsWith("/announce"u8);
        var isScrape = path.EndsWith("/scrape"u8);
        if (!isAnnounce && !isScrape) return new HttpAnswer(404, []);
        remote = Normalize(remote);
        var fault = faults.Take();
        switch (fault)
        {
            case TrackerFault.Http500:
                return new HttpAnswer(500, "scripted internal server error"u8.ToArray());
            case TrackerFault.DropConnection:
                return new HttpAnswer(0, [], Drop: true);
            case TrackerFault.FailureReason:
                return new HttpAnswer(200, Failure(faults.FailureReason));
            case TrackerFault.GarbageBencode:
                return new HttpAnswer(200, "<html>this is not bencode</html>"u8.ToArray());
        }
        byte[] body;
        try
        {
            var parsed = TrackerQuery.Parse(query);
            body = isAnnounce ? Announce(parsed, remote, fault) : Scrape(parsed, remote);
        }
        catch (TrackerException e)
        {
            options.Log?.Invoke($"rejected {(isAnnounce ? "announce" : "scrape")} from {remote}: {e.Message}");
            body = Failure(e.Message);
        }
        // Cut the answer in half: the client must notice the bencode is incomplete.
        if (fault == TrackerFault.TruncatedBencode) body = body[..(body.Length / 2)];
        return new HttpAnswer(200, body, fault == TrackerFault.SlowAnswer ? faults.SlowDelay : TimeSpan.Zero);
    }

    // "/announce?a=1" -> path "/announce", query "a=1"; an absolute target "http://host:port/announce?a=1" (RFC 9112 section
    // 3.2.2, which a server MUST accept) loses its scheme and authority first.
    // Returns the query; target is left as the path.
    private static ReadOnlySpan<byte> Split(ref ReadOnlySpan<byte> target)
    {
        if (target.IndexOf("://"u8) is var scheme and > 0 && target[0] != '/')
        {
            var afterAuthority = target[(scheme + 3)..].IndexOfAny((byte)'/', (byte)'?');
            target = afterAuthority < 0 ? [] : target[(scheme + 3 + afterAuthority)..];
        }
        var question = target.IndexOf((byte)'?');
        if (question < 0) return [];
        var query = target[(question + 1)..];
        target = target[..question];
        return query;
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

    // BEP 48: "d5:filesd20:<info hash>d8:completei5e10:downloadedi50e10:incompletei10eeee"; no info_hash: every torrent
    // (a full scrape), which this tracker answers only when TrackerServerOptions.FullScrape is on, and then for at most
    // FullScrapeMax torrents. BEP 21: "If the tracker supports this extension, it MUST add a fourth field, 'downloaders'".
    private byte[] Scrape(TrackerQuery query, IPAddress remote)
    {
        var asked = query.All("info_hash");
        List<(InfoHash InfoHash, ScrapeResult Stats)> answered;
        if (asked.Count > 0)
        {
            var hashes = asked.Select(TrackerRequestRules.ToInfoHash).ToList();
            answered = [.. hashes.Select(h => (h, swarm.Scrape(h)))];
            options.Log?.Invoke($"scrape http {remote} {string.Join(',', hashes.Select(h => h.Hex))}");
        }
        else
        {
            if (!options.FullScrape)
                throw new TrackerException("a scrape must name its torrents with info_hash: this tracker answers no full scrape");
            (answered, var tracked) = swarm.FullScrape(options.FullScrapeMax);
            options.Log?.Invoke($"scrape http {remote} full: {answered.Count} of {tracked} torrent(s)");
        }
        var files = new BDictionary();
        foreach (var (hash, stats) in answered)
        {
            files.Set(hash.Bytes.ToArray(), new BDictionary()
                .Set("complete", new BInteger(stats.Seeders))
                .Set("downloaded", new BInteger(stats.Completed))
                .Set("downloaders", new BInteger(stats.Downloaders ?? stats.Leechers))
                .Set("incomplete", new BInteger(stats.Leechers)));
        }
        return BencodeWriter.Encode(new BDictionary().Set("files", files));
    }

    internal static byte[] Failure(string reason) => BencodeWriter.Encode(new BDictionary().Set("failure reason", new BString(reason)));

    internal static string Name(AnnounceEvent evt) => HttpTrackerUrl.EventName(evt) ?? "none";

    internal static IPAddress Normalize(IPAddress? address) =>
        address is null ? IPAddress.Loopback : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>What to send for one request: a status and a body (text/plain), after <paramref name="Delay"/>; or, when
/// <paramref name="Drop"/>, nothing at all: the connection closes.</summary>
internal readonly record struct HttpAnswer(int Status, byte[] Body, TimeSpan Delay = default, bool Drop = false);
