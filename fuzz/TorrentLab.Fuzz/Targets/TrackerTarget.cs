using System.Net;
using System.Net.Sockets;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Fuzz.Targets;

/// <summary>A tracker's answer: the bencoded body of an HTTP announce or scrape (BEP 3, 23, 7, 48) and the BEP 15 UDP
/// datagrams of both directions (what the client reads, and what our tracker reads). Either parsed, or a
/// <see cref="TrackerException"/>; every peer a parsed answer names passes the address policy or is dropped by it.</summary>
internal static class TrackerTarget
{
    public static FuzzTarget Target { get; } = new("tracker", "an HTTP tracker body or a UDP tracker datagram", Run, Seeds);

    private static readonly InfoHash Hash = new([.. Enumerable.Range(0, 20).Select(i => (byte)i)]);

    private static void Run(byte[] input)
    {
        Try(() => Check(HttpTrackerResponse.ParseAnnounce(input)));
        Try(() => HttpTrackerResponse.ParseScrape(input, Hash));
        if (UdpTrackerMessages.TryReadResponseHeader(input, out var action, out _))
        {
            switch (action)
            {
                case UdpTrackerMessages.ActionConnect: Try(() => UdpTrackerMessages.ReadConnectResponse(input)); break;
                case UdpTrackerMessages.ActionAnnounce:
                    Try(() => Check(UdpTrackerMessages.ReadAnnounceResponse(input, AddressFamily.InterNetwork)));
                    Try(() => Check(UdpTrackerMessages.ReadAnnounceResponse(input, AddressFamily.InterNetworkV6)));
                    break;
                case UdpTrackerMessages.ActionScrape: Try(() => UdpTrackerMessages.ReadScrapeResponse(input, 2)); break;
                case UdpTrackerMessages.ActionError: _ = UdpTrackerMessages.ReadErrorMessage(input); break;
            }
        }
        if (UdpTrackerMessages.TryReadRequestHeader(input, out _, out var request, out _))
        {
            if (request == UdpTrackerMessages.ActionAnnounce) Try(() => UdpTrackerMessages.ReadAnnounceRequest(input));
            if (request == UdpTrackerMessages.ActionScrape) Try(() => UdpTrackerMessages.ReadScrapeRequest(input));
        }
    }

    private static void Try(Action parse)
    {
        try { parse(); }
        catch (TrackerException) { }
    }

    /// <summary>What holds of any parsed announce: its peers are whole endpoints (an address and a port 0..65535).</summary>
    private static void Check(AnnounceResponse response)
    {
        foreach (var peer in response.Peers)
            if (peer is null || peer.Port is < 0 or > 65535) throw new InvalidOperationException($"announce answer with peer {peer}");
        _ = response.Peers.Count(p => PeerAddressPolicy.MayDial(p));
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        var compact = new byte[6 * 3];
        for (var i = 0; i < 3; i++) { compact[i * 6] = 127; compact[i * 6 + 3] = (byte)(i + 1); compact[i * 6 + 4] = 0x1A; compact[i * 6 + 5] = 0xE1; }
        var compact6 = new byte[18];
        compact6[15] = 1; compact6[16] = 0x1A; compact6[17] = 0xE1;
        var dictionaryPeers = new BList([
            new BDictionary().Set("ip", new BString("127.0.0.1")).Set("port", new BInteger(6881)).Set("peer id", new BString(new byte[20])),
            new BDictionary().Set("ip", new BString("::1")).Set("port", new BInteger(6882)),
        ]);
        yield return ("http-compact", BencodeWriter.Encode(new BDictionary().Set("interval", new BInteger(1800))
            .Set("min interval", new BInteger(60)).Set("complete", new BInteger(3)).Set("incomplete", new BInteger(7))
            .Set("peers", new BString(compact)).Set("tracker id", new BString("abc"))));
        yield return ("http-dictionary-peers", BencodeWriter.Encode(new BDictionary().Set("interval", new BInteger(900))
            .Set("peers", dictionaryPeers).Set("warning message", new BString("slow down"))));
        yield return ("http-peers6", BencodeWriter.Encode(new BDictionary().Set("interval", new BInteger(900))
            .Set("peers", new BString(Array.Empty<byte>())).Set("peers6", new BString(compact6))));
        yield return ("http-failure", BencodeWriter.Encode(new BDictionary().Set("failure reason", new BString("torrent not registered"))));
        yield return ("http-scrape", BencodeWriter.Encode(new BDictionary().Set("files", new BDictionary().Set(Hash.Bytes.ToArray(),
            new BDictionary().Set("complete", new BInteger(5)).Set("downloaded", new BInteger(50)).Set("incomplete", new BInteger(2))))));
        IPEndPoint[] peers = [new(IPAddress.Loopback, 6881), new(IPAddress.Parse("127.0.0.2"), 51413)];
        yield return ("udp-connect", UdpTrackerMessages.ConnectResponse(7, 0x1234_5678_9abc));
        yield return ("udp-announce", UdpTrackerMessages.AnnounceResponse(7, 1800, 3, 4, peers, AddressFamily.InterNetwork));
        yield return ("udp-announce6", UdpTrackerMessages.AnnounceResponse(7, 1800, 3, 4, [new IPEndPoint(IPAddress.IPv6Loopback, 6881)], AddressFamily.InterNetworkV6));
        yield return ("udp-scrape", UdpTrackerMessages.ScrapeResponse(7, [new ScrapeResult(1, 2, 3), new ScrapeResult(4, 5, 6)]));
        yield return ("udp-error", UdpTrackerMessages.ErrorResponse(7, "unknown torrent"));
        var request = new AnnounceRequest(Hash, new PeerId(new byte[20]), 6881, 1, 2, 3, AnnounceEvent.Started);
        yield return ("udp-announce-request", UdpTrackerMessages.AnnounceRequest(0x1234_5678_9abc, 7, request));
        yield return ("udp-scrape-request", UdpTrackerMessages.ScrapeRequest(0x1234_5678_9abc, 7, [Hash, Hash]));
    }
}
