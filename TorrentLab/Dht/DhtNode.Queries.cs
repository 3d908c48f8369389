using System.Collections.Concurrent;
using System.Net;

namespace TorrentLab.Dht;

public sealed partial class DhtNode
{
    /// <summary>Queries of ours waiting for an answer at once; more wait their turn (bounds the transaction table).</summary>
    private const int MaxOutstanding = 256;

    private readonly ConcurrentDictionary<ushort, Pending> _pending = new();
    private readonly SemaphoreSlim _outstanding = new(MaxOutstanding);
    private int _nextTransaction = Randomness.Shared.Next(ushort.MaxValue);

    private sealed record Pending(IPEndPoint To, string Method, TaskCompletionSource<KrpcResponse> Answer);

    /// <summary>The short timeout before any answer was timed: libtorrent's fixed one (<c>rpc_manager::tick</c>), also
    /// the most it can grow to.</summary>
    internal static readonly TimeSpan MaxShortTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The least the short timeout shrinks to, whatever the round trips seen (loopback, a LAN).</summary>
    internal static readonly TimeSpan MinShortTimeout = TimeSpan.FromMilliseconds(100);

    private readonly Lock _rttLock = new();
    private double _smoothedRttMs = double.NaN;
    private double _rttVariationMs;

    /// <summary>After how long a lookup counts one of its queries as slow and asks another node beside it (the query
    /// still waits for its answer until <see cref="DhtNodeOptions.QueryTimeout"/>): the smoothed round trip of the
    /// answers this node got plus four times their variation (RFC 6298's retransmission timeout, over all the nodes we
    /// ask rather than one path), between <see cref="MinShortTimeout"/> and <see cref="MaxShortTimeout"/>; the latter
    /// until a first answer was timed.</summary>
    /// <remarks>Derived rather than fixed: with libtorrent's fixed second, each silent node costs a lookup that second
    /// (nine round trips of the simulated DHT in bench/sim, median 110 ms); from the answers seen, a query is slow once
    /// it took longer than nearly every answer does, on a fast network or a slow one.</remarks>
    internal TimeSpan ShortTimeout
    {
        get
        {
            double ms;
            lock (_rttLock) ms = _smoothedRttMs + 4 * _rttVariationMs;
            return double.IsNaN(ms) ? MaxShortTimeout
                : TimeSpan.FromMilliseconds(Math.Clamp(ms, MinShortTimeout.TotalMilliseconds, MaxShortTimeout.TotalMilliseconds));
        }
    }

    /// <summary>Feeds one answer's round trip to <see cref="ShortTimeout"/> (RFC 6298 section 2: gains 1/8 and 1/4).</summary>
    internal void NoteRoundTrip(TimeSpan rtt)
    {
        var ms = rtt.TotalMilliseconds;
        lock (_rttLock)
        {
            if (double.IsNaN(_smoothedRttMs))
            {
                _smoothedRttMs = ms;
                _rttVariationMs = ms / 2;
                return;
            }
            _rttVariationMs = 0.75 * _rttVariationMs + 0.25 * Math.Abs(_smoothedRttMs - ms);
            _smoothedRttMs = 0.875 * _smoothedRttMs + 0.125 * ms;
        }
    }

    /// <summary>Sends <paramref name="query"/> to <paramref name="to"/> and waits for the answer.</summary>
    /// <exception cref="DhtException">No answer within the query timeout, or a KRPC error answer.</exception>
    internal async Task<KrpcResponse> QueryAsync(IPEndPoint to, KrpcQuery query, CancellationToken ct)
    {
        await _outstanding.WaitAsync(ct).ConfigureAwait(false);
        ushort id = 0;
        try
        {
            var answer = new TaskCompletionSource<KrpcResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
            // BEP 5: "The transaction ID should be encoded as a short string of binary numbers, typically 2 characters
            // are enough as they cover 2^16 outstanding queries."
            do id = (ushort)Interlocked.Increment(ref _nextTransaction);
            while (!_pending.TryAdd(id, new Pending(to, query.Method, answer)));
            Interlocked.Increment(ref Stats._queriesSent);
            var sent = _options.Clock.GetTimestamp();
            Send(query with { TransactionId = [(byte)(id >> 8), (byte)id], ReadOnly = _options.ReadOnly }, to);
            try
            {
                var response = await answer.Task.WaitAsync(_options.QueryTimeout, _options.Clock, ct).ConfigureAwait(false);
                NoteRoundTrip(_options.Clock.GetElapsedTime(sent));
                return response;
            }
            catch (TimeoutException)
            {
                Interlocked.Increment(ref Stats._timeouts);
                throw new DhtException($"{to} did not answer '{query.Method}' within {_options.QueryTimeout.TotalSeconds:0.#} s");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
            _outstanding.Release();
        }
    }

    /// <summary>Pairs a response or error with our query by transaction id; it must come from the address we asked.</summary>
    private void Complete(KrpcMessage message, IPEndPoint from)
    {
        if (message.TransactionId.Length != 2 || !_pending.TryGetValue((ushort)(message.TransactionId[0] << 8 | message.TransactionId[1]), out var pending)
            || !SameAddress(pending.To, from))
        {
            Interlocked.Increment(ref Stats._unmatched);
            return;
        }
        if (message.RequesterAddress is { } reported) NoteReportedAddress(reported, from);
        switch (message)
        {
            case KrpcResponse response:
                if (MayRoute(from))
                    lock (_tableLock) _table.Heard(new NodeContact(response.SenderId, from), responded: true);
                pending.Answer.TrySetResult(response);
                break;
            case KrpcError error:
                pending.Answer.TrySetException(new DhtException($"{from} answered '{pending.Method}' with error {error.Code}: {error.Message}")
                {
                    ErrorCode = error.Code,
                });
                break;
        }
    }

    /// <summary>A query to a node of the table that got no answer counts against it (it may turn bad and be replaced).</summary>
    internal void NoteFailure(NodeId id)
    {
        lock (_tableLock) _table.Failed(id);
    }

    private static bool SameAddress(IPEndPoint a, IPEndPoint b) =>
        a.Port == b.Port && (a.Address.Equals(b.Address)
            || (a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address).Equals(b.Address.IsIPv4MappedToIPv6 ? b.Address.MapToIPv4() : b.Address));

    /// <summary>Pings <paramref name="node"/> and returns its id (BEP 5 <c>ping</c>).</summary>
    /// <exception cref="DhtException">No answer in time, or an error answer.</exception>
    public async Task<NodeId> PingAsync(IPEndPoint node, CancellationToken ct = default)
    {
        var response = await QueryAsync(node, new KrpcQuery([], KrpcMethods.Ping, Id), ct).ConfigureAwait(false);
        return response.SenderId;
    }
}
