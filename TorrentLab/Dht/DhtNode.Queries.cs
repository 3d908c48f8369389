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

    private readonly RoundTripEstimator _roundTrips = new();

    /// <summary>After how long a lookup counts one of its queries as slow (<see cref="RoundTripEstimator.ShortTimeout"/>).</summary>
    internal TimeSpan ShortTimeout => _roundTrips.ShortTimeout;

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
                _roundTrips.Note(_options.Clock.GetElapsedTime(sent));
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
