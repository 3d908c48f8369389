using System.Collections.Concurrent;
using System.Net;

namespace TorrentLab.Dht;

/// <summary>A node's queries waiting for their answers, by transaction id: each is answered by a response or an error
/// from the address it went to, or fails after the query timeout.</summary>
/// <param name="options">The node's options: its clock, query timeout and read-only flag.</param>
/// <param name="stats">The node's counters: queries sent, timeouts.</param>
/// <param name="send">Sends a query to a node (the node's address policy and encoding).</param>
/// <param name="roundTrips">Takes the round trip of every answer.</param>
internal sealed class TransactionTable(DhtNodeOptions options, DhtStats stats, Action<KrpcMessage, IPEndPoint> send, RoundTripEstimator roundTrips)
{
    /// <summary>Queries of ours waiting for an answer at once; more wait their turn (bounds the transaction table).</summary>
    private const int MaxOutstanding = 256;

    private readonly ConcurrentDictionary<ushort, Pending> _pending = new();
    private readonly SemaphoreSlim _outstanding = new(MaxOutstanding);
    private int _nextTransaction = Randomness.Shared.Next(ushort.MaxValue);

    /// <summary>Sends <paramref name="query"/> to <paramref name="to"/> and waits for the answer.</summary>
    /// <exception cref="DhtException">No answer within the query timeout, or a KRPC error answer.</exception>
    public async Task<KrpcResponse> QueryAsync(IPEndPoint to, KrpcQuery query, CancellationToken ct)
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
            Interlocked.Increment(ref stats._queriesSent);
            var sent = options.Clock.GetTimestamp();
            send(query with { TransactionId = [(byte)(id >> 8), (byte)id], ReadOnly = options.ReadOnly }, to);
            try
            {
                var response = await answer.Task.WaitAsync(options.QueryTimeout, options.Clock, ct).ConfigureAwait(false);
                roundTrips.Note(options.Clock.GetElapsedTime(sent));
                return response;
            }
            catch (TimeoutException)
            {
                Interlocked.Increment(ref stats._timeouts);
                throw new DhtException($"{to} did not answer '{query.Method}' within {options.QueryTimeout.TotalSeconds:0.#} s");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
            _outstanding.Release();
        }
    }

    /// <summary>The query of ours that <paramref name="message"/> (a response or an error) answers, by transaction id;
    /// it must come from the address we asked. Null, and counted as unmatched, when there is none.</summary>
    public Pending? Match(KrpcMessage message, IPEndPoint from)
    {
        if (message.TransactionId.Length == 2 && _pending.TryGetValue((ushort)(message.TransactionId[0] << 8 | message.TransactionId[1]), out var pending)
            && SameAddress(pending.To, from)) return pending;
        Interlocked.Increment(ref stats._unmatched);
        return null;
    }

    private static bool SameAddress(IPEndPoint a, IPEndPoint b) =>
        a.Port == b.Port && (a.Address.Equals(b.Address)
            || (a.Address.IsIPv4MappedToIPv6 ? a.Address.MapToIPv4() : a.Address).Equals(b.Address.IsIPv4MappedToIPv6 ? b.Address.MapToIPv4() : b.Address));

    /// <summary>One query of ours waiting for its answer.</summary>
    internal sealed record Pending(IPEndPoint To, string Method, TaskCompletionSource<KrpcResponse> Answer)
    {
        /// <summary>Hands the answer to the query's caller: the response, or the error as a <see cref="DhtException"/>.</summary>
        public void Complete(KrpcMessage message, IPEndPoint from)
        {
            switch (message)
            {
                case KrpcResponse response:
                    Answer.TrySetResult(response);
                    break;
                case KrpcError error:
                    Answer.TrySetException(new DhtException($"{from} answered '{Method}' with error {error.Code}: {error.Message}")
                    {
                        ErrorCode = error.Code,
                    });
                    break;
            }
        }
    }
}
