using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using TorrentLab.Wire;

namespace TorrentLab.Tracker.Server;

/// <summary>Serves BEP 15 connect, announce and scrape on one UDP socket.</summary>
internal sealed class UdpTrackerEndpoint(Socket socket, TrackerServerOptions options, TrackedSwarm swarm, TrackerFaults faults)
{
    // BEP 15: "A UDP tracker should accept a connection ID until two minutes after it has been send."
    private static readonly TimeSpan ConnectionIdLifetime = TimeSpan.FromMinutes(2);
    private const int MaxConnectionIds = 10_000; // bounds memory under a flood of connects

    private readonly ConcurrentDictionary<long, (IPEndPoint Client, DateTimeOffset Issued)> _connections = new();

    /// <summary>Receives and answers datagrams until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; } // the server is stopping
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted && ct.IsCancellationRequested)
            {
                return; // the same, reported by the socket as an aborted receive
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                continue; // ICMP "port unreachable" from a client that went away; nothing to answer
            }
            var client = (IPEndPoint)received.RemoteEndPoint;
            var datagram = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var (answer, delay) = Handle(datagram, client);
            if (answer is null) continue;
            if (delay > TimeSpan.Zero) _ = SendLaterAsync(answer, client, delay, ct);
            else await SendAsync(answer, client, ct).ConfigureAwait(false);
        }
    }

    private (byte[]? Answer, TimeSpan Delay) Handle(byte[] datagram, IPEndPoint client)
    {
        // BEP 15: requests shorter than the 16-byte header cannot carry a transaction id; they are dropped.
        if (!UdpTrackerMessages.TryReadRequestHeader(datagram, out var connectionId, out var action, out var transactionId))
            return (null, TimeSpan.Zero);
        if (action == UdpTrackerMessages.ActionConnect)
        {
            if (connectionId != UdpTrackerMessages.ProtocolId)
                return (UdpTrackerMessages.ErrorResponse(transactionId, "a connect request must start with the protocol id 0x41727101980"), TimeSpan.Zero);
            return (UdpTrackerMessages.ConnectResponse(transactionId, IssueConnectionId(client)), TimeSpan.Zero);
        }
        if (!IsValid(connectionId, client))
            return (UdpTrackerMessages.ErrorResponse(transactionId, "unknown or expired connection id: connect first"), TimeSpan.Zero);
        var fault = faults.Take();
        try
        {
            var answer = fault switch
            {
                TrackerFault.Http500 or TrackerFault.DropConnection => null,
                TrackerFault.FailureReason => UdpTrackerMessages.ErrorResponse(transactionId, faults.FailureReason),
                TrackerFault.GarbageBencode => Garbage(transactionId),
                _ => action switch
                {
                    UdpTrackerMessages.ActionAnnounce => Announce(datagram, client, fault),
                    UdpTrackerMessages.ActionScrape => Scrape(datagram, transactionId, client),
                    _ => throw new TrackerException($"unknown action {action}"),
                },
            };
            if (answer is not null && fault == TrackerFault.TruncatedBencode) answer = answer[..12];
            return (answer, fault == TrackerFault.SlowAnswer ? faults.SlowDelay : TimeSpan.Zero);
        }
        catch (TrackerException e)
        {
            options.Log?.Invoke($"rejected udp request from {client}: {e.Message}");
            return (UdpTrackerMessages.ErrorResponse(transactionId, e.Message), TimeSpan.Zero);
        }
    }

    private byte[] Announce(byte[] datagram, IPEndPoint client, TrackerFault fault)
    {
        var request = UdpTrackerMessages.ReadAnnounceRequest(datagram);
        if (options.AllowedInfoHashes is { } allowed && !allowed.Contains(request.InfoHash))
            throw new TrackerException($"unknown info_hash {request.InfoHash.Hex}: this tracker does not track that torrent");
        if (request.Port == 0) throw new TrackerException("port must be between 1 and 65535, got 0");
        // BEP 15: ip 0 means "use the sender's address"; TorrentLab always uses the sender's address.
        var endPoint = new IPEndPoint(HttpTrackerEndpoint.Normalize(client.Address), request.Port);
        var numWant = request.NumWant < 0 ? 50 : Math.Min(request.NumWant, options.MaxPeersPerAnswer);
        var (peers, seeders, leechers) = swarm.Announce(request.InfoHash, request.PeerId, endPoint, request.Left, request.Event, numWant);
        if (fault == TrackerFault.EmptyPeerList) peers.Clear();
        options.Log?.Invoke($"announce udp {endPoint} {request.InfoHash.Hex} event={HttpTrackerEndpoint.Name(request.Event)} left={request.Left} -> {peers.Count} peer(s), {seeders} seeder(s), {leechers} leecher(s)");
        var answer = UdpTrackerMessages.AnnounceResponse(request.TransactionId, (int)options.Interval.TotalSeconds, leechers, seeders,
            peers.Select(p => p.EndPoint), socket.AddressFamily);
        return fault == TrackerFault.TruncatedCompactPeers ? [.. answer, 0x7F, 0x00, 0x00] : answer;
    }

    private byte[] Scrape(byte[] datagram, int transactionId, IPEndPoint client)
    {
        var hashes = UdpTrackerMessages.ReadScrapeRequest(datagram);
        options.Log?.Invoke($"scrape udp {client} {string.Join(',', hashes.Select(h => h.Hex))}");
        return UdpTrackerMessages.ScrapeResponse(transactionId, hashes.Select(swarm.Scrape).ToList());
    }

    private long IssueConnectionId(IPEndPoint client)
    {
        var now = options.Time.GetUtcNow();
        if (_connections.Count >= MaxConnectionIds)
            foreach (var (id, entry) in _connections)
                if (now - entry.Issued > ConnectionIdLifetime) _connections.TryRemove(id, out _);
        var connectionId = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
        if (_connections.Count < MaxConnectionIds) _connections[connectionId] = (client, now);
        return connectionId;
    }

    // BEP 15 ties a connection id to the client's address (the point is to defeat spoofed source addresses).
    private bool IsValid(long connectionId, IPEndPoint client) =>
        _connections.TryGetValue(connectionId, out var entry) && entry.Client.Address.Equals(client.Address)
        && options.Time.GetUtcNow() - entry.Issued <= ConnectionIdLifetime;

    // The right transaction id with an action BEP 15 does not define ("Garb").
    private static byte[] Garbage(int transactionId)
    {
        var packet = UdpTrackerMessages.ErrorResponse(transactionId, "not a tracker answer");
        "Garb"u8.CopyTo(packet);
        return packet;
    }

    private async Task SendLaterAsync(byte[] answer, IPEndPoint client, TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
            await SendAsync(answer, client, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { } // the server stopped before the delayed answer was due
    }

    private async Task SendAsync(byte[] answer, IPEndPoint client, CancellationToken ct)
    {
        try
        {
            await socket.SendToAsync(answer, SocketFlags.None, client, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            options.Log?.Invoke($"could not answer {client} over udp: {e.Message}");
        }
    }
}
