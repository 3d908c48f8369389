using System.Net;

namespace TorrentLab.Dht;

public sealed partial class DhtNode
{
    private readonly RoundTripEstimator _roundTrips = new();
    private readonly TransactionTable _transactions;

    /// <summary>After how long a lookup counts one of its queries as slow (<see cref="RoundTripEstimator.ShortTimeout"/>).</summary>
    internal TimeSpan ShortTimeout => _roundTrips.ShortTimeout;

    /// <inheritdoc cref="TransactionTable.QueryAsync"/>
    internal Task<KrpcResponse> QueryAsync(IPEndPoint to, KrpcQuery query, CancellationToken ct) => _transactions.QueryAsync(to, query, ct);

    /// <summary>Hands a response or error to the query of ours it answers, once what it says of our address (BEP 42)
    /// and of its sender (the routing table) is noted.</summary>
    private void Complete(KrpcMessage message, IPEndPoint from)
    {
        if (_transactions.Match(message, from) is not { } pending) return;
        if (message.RequesterAddress is { } reported) NoteReportedAddress(reported, from);
        if (message is KrpcResponse response && MayRoute(from))
            lock (_tableLock) _table.Heard(new NodeContact(response.SenderId, from), responded: true);
        pending.Complete(message, from);
    }

    /// <summary>A query to a node of the table that got no answer counts against it (it may turn bad and be replaced).</summary>
    internal void NoteFailure(NodeId id)
    {
        lock (_tableLock) _table.Failed(id);
    }

    /// <summary>Pings <paramref name="node"/> and returns its id (BEP 5 <c>ping</c>).</summary>
    /// <exception cref="DhtException">No answer in time, or an error answer.</exception>
    public async Task<NodeId> PingAsync(IPEndPoint node, CancellationToken ct = default)
    {
        var response = await QueryAsync(node, new KrpcQuery([], KrpcMethods.Ping, Id), ct).ConfigureAwait(false);
        return response.SenderId;
    }
}
