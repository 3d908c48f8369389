using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using TorrentLab.Metainfo;
using TorrentLab.Network;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>Serves BEP 15 connect, announce and scrape on one UDP port.</summary>
/// <remarks>On the kernel's network, one receive thread per core, each blocking in <c>recvfrom</c> on the shared socket
/// (the kernel hands each datagram to one of them) and answering before the next receive, with a buffer of its own:
/// an announce writes the chosen peers straight from the swarm's table into the answer. Measured in bench/notes/tracker.md ("The
/// tracker at opentracker's rate"). A simulated network hands it its datagrams one at a time.</remarks>
internal sealed class UdpTrackerEndpoint(IUdpPort port, TrackerServerOptions options, TrackedSwarm swarm, TrackerFaults faults)
{
    // BEP 15: "A UDP tracker should accept a connection ID until two minutes after it has been send."
    // Ids are not stored: an id is a keyed hash of the client's address and the minute it was issued (as opentracker
    // does), so a flood of connects fills no table. One issued in minute m is accepted through minute m + 2.
    private static readonly TimeSpan ConnectionIdPeriod = TimeSpan.FromMinutes(1);
    private const int AcceptedPeriods = 3; // this minute and the two before: at least two minutes, at most three

    /// <summary>The largest UDP payload, for requests and answers alike.</summary>
    internal const int MaxDatagram = 64 * 1024;

    // The error for an unknown connection id: 8 + 21 = 29 bytes, sent only to a request at least as long, so the
    // answer never outweighs what a spoofed source sent (opentracker answers 33 bytes to anything, 16 bytes included).
    private const string UnknownConnectionId = "unknown connection id";
    private const int UnknownConnectionIdAnswer = 8 + 21;

    [ThreadStatic] private static byte[]? t_answer; // one answer buffer per receive thread

    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(16); // SipHash's 128-bit key
    private readonly AddressFamily _family = port.LocalEndPoint.AddressFamily;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Starts answering the port's datagrams (on as many threads as the port was bound to read with).</summary>
    public void Start() => port.Start(OnDatagram);

    /// <summary>Stops answering: delayed answers not yet sent are dropped. The port is its owner's to close.</summary>
    public void Stop() => _stopping.Cancel();

    private void OnDatagram(ReadOnlyMemory<byte> request, IPEndPoint client)
    {
        if (_stopping.IsCancellationRequested) return;
        var answer = t_answer ??= new byte[MaxDatagram];
        var (length, delay) = Handle(request.Span, client, answer);
        if (length == 0) return;
        if (delay > TimeSpan.Zero) _ = SendLaterAsync(answer[..length], client, delay, _stopping.Token);
        else port.Send(answer.AsSpan(0, length), client);
    }

    private (int Length, TimeSpan Delay) Handle(ReadOnlySpan<byte> datagram, IPEndPoint client, Span<byte> answer)
    {
        // BEP 15: requests shorter than the 16-byte header cannot carry a transaction id; they are dropped.
        if (!UdpTrackerMessages.TryReadRequestHeader(datagram, out var connectionId, out var action, out var transactionId))
            return (0, TimeSpan.Zero);
        // The source address of a datagram may be forged, so nothing is sent that a forged datagram could aim at
        // someone else larger than it came (issue 53: 16 bytes drew 71- and 55-byte errors, a reflection x4.4).
        if (action == UdpTrackerMessages.ActionConnect)
        {
            // BEP 15: a connect starts with the magic 0x41727101980; anything else is not a tracker client: silence,
            // as opentracker.
            if (connectionId != UdpTrackerMessages.ProtocolId) return (0, TimeSpan.Zero);
            return (UdpTrackerMessages.WriteConnectResponse(answer, transactionId, ConnectionId(client, CurrentPeriod())), TimeSpan.Zero);
        }
        if (!IsValid(connectionId, client))
        {
            // An honest client whose id expired learns to connect again; a shorter datagram gets silence.
            return (datagram.Length >= UnknownConnectionIdAnswer ? Error(answer, transactionId, UnknownConnectionId) : 0, TimeSpan.Zero);
        }
        var fault = faults.Take();
        try
        {
            var length = fault switch
            {
                TrackerFault.Http500 or TrackerFault.DropConnection => 0,
                TrackerFault.FailureReason => Error(answer, transactionId, faults.FailureReason),
                TrackerFault.GarbageBencode => Garbage(answer, transactionId),
                _ => action switch
                {
                    UdpTrackerMessages.ActionAnnounce => Announce(datagram, client, fault, answer),
                    UdpTrackerMessages.ActionScrape => Scrape(datagram, transactionId, client, answer),
                    _ => throw new TrackerException($"unknown action {action}"),
                },
            };
            if (length > 12 && fault == TrackerFault.TruncatedBencode) length = 12;
            return (length, fault == TrackerFault.SlowAnswer ? faults.SlowDelay : TimeSpan.Zero);
        }
        catch (TrackerException e)
        {
            options.Log?.Invoke($"rejected udp request from {client}: {e.Message}");
            return (Error(answer, transactionId, e.Message), TimeSpan.Zero);
        }
    }

    private int Announce(ReadOnlySpan<byte> datagram, IPEndPoint client, TrackerFault fault, Span<byte> answer)
    {
        var request = UdpTrackerMessages.ReadAnnounceRequest(datagram);
        if (options.AllowedInfoHashes is { } allowed && !allowed.Contains(request.InfoHash))
            throw new TrackerException($"unknown info_hash {request.InfoHash.Hex}: this tracker does not track that torrent");
        if (request.Port == 0) throw new TrackerException("port must be between 1 and 65535, got 0");
        // BEP 15: ip 0 means "use the sender's address"; TorrentLab always uses the sender's address.
        Span<byte> address = stackalloc byte[16];
        client.Address.TryWriteBytes(address, out var addressLength);
        var where = new PeerAddress(address[..addressLength], request.Port);
        var numWant = request.NumWant < 0 ? 50 : Math.Min(request.NumWant, options.MaxPeersPerAnswer);
        var header = UdpTrackerMessages.AnnounceResponseHeaderSize;
        // TrackerFault.EmptyPeerList: the swarm is updated, and no peer is written after the header.
        var peersRoom = fault == TrackerFault.EmptyPeerList ? Span<byte>.Empty : answer[header..^3];
        var (seeders, leechers, written) = swarm.Announce(request.InfoHash, request.PeerId.Bytes, where, request.Left, request.Event,
            numWant, peersRoom, _family);
        options.Log?.Invoke($"announce udp {where.ToEndPoint()} {request.InfoHash.Hex} event={HttpTrackerEndpoint.Name(request.Event)} " +
            $"left={request.Left} -> {written / (_family == AddressFamily.InterNetworkV6 ? CompactPeers.IPv6Size : CompactPeers.IPv4Size)} peer(s), {seeders} seeder(s), {leechers} leecher(s)");
        UdpTrackerMessages.WriteAnnounceResponse(answer, request.TransactionId, (int)options.Interval.TotalSeconds, leechers, seeders, [], _family);
        var length = header + written;
        if (fault != TrackerFault.TruncatedCompactPeers) return length;
        answer[length] = 0x7F; // three bytes of a fourth IPv4 record: not a multiple of 6 (room for them was kept above)
        answer[length + 1] = answer[length + 2] = 0;
        return length + 3;
    }

    private int Scrape(ReadOnlySpan<byte> datagram, int transactionId, IPEndPoint client, Span<byte> answer)
    {
        var hashes = UdpTrackerMessages.ReadScrapeRequest(datagram);
        options.Log?.Invoke($"scrape udp {client} {string.Join(',', hashes.Select(h => h.Hex))}");
        return Copy(UdpTrackerMessages.ScrapeResponse(transactionId, hashes.Select(swarm.Scrape).ToList()), answer);
    }

    private long CurrentPeriod() => options.Time.GetUtcNow().Ticks / ConnectionIdPeriod.Ticks;

    // SipHash-2-4(secret, <period 8><client address 4 or 16>). BEP 15 ties a connection id to the client's address:
    // the point is to defeat spoofed source addresses, which could not read the id sent back.
    private long ConnectionId(IPEndPoint client, long period)
    {
        Span<byte> input = stackalloc byte[8 + 16];
        BinaryPrimitives.WriteInt64BigEndian(input, period);
        client.Address.TryWriteBytes(input[8..], out var written);
        return (long)SipHash.Hash(_secret, input[..(8 + written)]);
    }

    private bool IsValid(long connectionId, IPEndPoint client)
    {
        var now = CurrentPeriod();
        for (var period = now; period > now - AcceptedPeriods; period--)
            if (ConnectionId(client, period) == connectionId) return true;
        return false;
    }

    private static int Error(Span<byte> answer, int transactionId, string message) =>
        Copy(UdpTrackerMessages.ErrorResponse(transactionId, message), answer);

    // The right transaction id with an action BEP 15 does not define ("Garb").
    private static int Garbage(Span<byte> answer, int transactionId)
    {
        var length = Error(answer, transactionId, "not a tracker answer");
        "Garb"u8.CopyTo(answer);
        return length;
    }

    private static int Copy(byte[] packet, Span<byte> answer)
    {
        var length = Math.Min(packet.Length, answer.Length);
        packet.AsSpan(0, length).CopyTo(answer);
        return length;
    }

    private async Task SendLaterAsync(byte[] answer, IPEndPoint client, TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, options.Time, ct).ConfigureAwait(false);
            port.Send(answer, client);
        }
        catch (OperationCanceledException) { } // the server stopped before the delayed answer was due
    }
}
