namespace TorrentLab.Dht;

/// <summary>Counters of what a DHT node received and sent, for <c>--verbose</c>, tests and benchmarks.</summary>
public sealed class DhtStats
{
    internal long _received, _dropped, _unmatched, _rateLimited, _queriesAnswered, _errorsSent, _queriesSent, _timeouts, _refusedSends, _refusedContacts, _ignoredQueries;

    /// <summary>Datagrams received.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Datagrams that failed to decode (malformed KRPC): dropped and counted, never thrown.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Responses that matched no query of ours (unknown transaction id or wrong sender).</summary>
    public long Unmatched => Interlocked.Read(ref _unmatched);

    /// <summary>Queries left unanswered by the per-source rate limit or the global cap.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Queries from other nodes that we answered.</summary>
    public long QueriesAnswered => Interlocked.Read(ref _queriesAnswered);

    /// <summary>KRPC errors we sent (bad token, unknown method, malformed query).</summary>
    public long ErrorsSent => Interlocked.Read(ref _errorsSent);

    /// <summary>Queries we sent.</summary>
    public long QueriesSent => Interlocked.Read(ref _queriesSent);

    /// <summary>Our queries that got no answer in time.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Datagrams not sent because the address was not loopback in loopback-only mode.</summary>
    public long RefusedSends => Interlocked.Read(ref _refusedSends);

    /// <summary>Contacts an answer named that were not followed: narrower in scope than the node that named them (a
    /// loopback or LAN address named from the internet).</summary>
    public long RefusedContacts => Interlocked.Read(ref _refusedContacts);

    /// <summary>Queries left unanswered because this node is read-only (BEP 43, <see cref="DhtNodeOptions.ReadOnly"/>).</summary>
    public long IgnoredQueries => Interlocked.Read(ref _ignoredQueries);

    public override string ToString() =>
        $"received {Received}, dropped {Dropped}, unmatched {Unmatched}, answered {QueriesAnswered}, rate-limited {RateLimited}, " +
        $"errors sent {ErrorsSent}, queries sent {QueriesSent}, timeouts {Timeouts}";
}
