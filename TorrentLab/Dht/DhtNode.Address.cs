using System.Net;

namespace TorrentLab.Dht;

public sealed partial class DhtNode
{
    /// <summary>Distinct voters needed before an address the answers name counts as ours.</summary>
    internal const int VotesForAddress = 3;

    /// <summary>The votes weighed: the latest ones, so that a changed address (another network) wins in time.</summary>
    private const int VoteWindow = 64;

    private readonly Lock _addressLock = new();

    // BEP 42: the latest (address named, voter) pairs from answers to our queries. A voter counts once per IP address
    // (one host cannot outvote the rest with many ports), except on a local network, where there is no remote attacker
    // to fear and several nodes may share a machine.
    private readonly Queue<(IPAddress Address, string Voter)> _votes = new();

    /// <summary>Our address as the DHT sees it (BEP 42's "ip" in the answers to our queries), once at least
    /// <see cref="VotesForAddress"/> nodes said so, or as the router in front of us named it; null before.</summary>
    public IPAddress? ExternalAddress { get; private set; }

    // The router's word (a port mapping's external address): it outranks the votes, as libtorrent ranks source_router
    // above the DHT, peers and trackers. Votes are still counted meanwhile.
    private IPAddress? _routerAddress;

    /// <summary>The router in front of us says our external address is <paramref name="address"/> (UPnP's
    /// GetExternalIPAddress, NAT-PMP's external address, PCP's assigned address): it is ours from now on, and when our
    /// id does not fit it (BEP 42), the next start takes one that does. An address of the other family, or one BEP 42
    /// exempts (a private one: another NAT in front), is ignored.</summary>
    internal void NoteRouterAddress(IPAddress address)
    {
        address = Plain(address);
        if (address.AddressFamily != Family || SecureNodeId.IsExempt(address)) return;
        bool changed;
        lock (_addressLock)
        {
            _routerAddress = address;
            changed = !address.Equals(ExternalAddress);
            if (changed) ExternalAddress = address;
        }
        if (changed) OnExternalAddressChanged(address, "the router");
    }

    /// <summary>The id this node starts with: the caller's, else the sibling's when it fits our family's saved external
    /// address (BEP 32: "a node should use the same node id in both tables"), else the saved one when it fits (BEP 42),
    /// else a fresh one made for that address (random when none is known or it is exempt).</summary>
    private static NodeId StartId(DhtNodeOptions options, DhtState? saved, System.Net.Sockets.AddressFamily family, NodeId? siblingId)
    {
        if (options.Id is { } id) return id;
        var address = saved?.ExternalAddressOf(family);
        if (siblingId is { } shared && (address is null || SecureNodeId.Matches(shared, address))) return shared;
        if (saved?.IdOf(family) is { } savedId && (address is null || SecureNodeId.Matches(savedId, address))) return savedId;
        return address is null ? NodeId.Random() : SecureNodeId.For(address);
    }

    /// <summary>Counts <paramref name="voter"/>'s word that our queries come from <paramref name="reported"/>.</summary>
    internal void NoteReportedAddress(IPEndPoint reported, IPEndPoint voter)
    {
        var address = Plain(reported.Address);
        var voterKey = SecureNodeId.IsExempt(voter.Address) ? voter.ToString() : Plain(voter.Address).ToString();
        bool changed;
        lock (_addressLock)
        {
            if (_votes.Contains((address, voterKey))) return;
            _votes.Enqueue((address, voterKey));
            if (_votes.Count > VoteWindow) _votes.Dequeue();
            var leader = _votes.CountBy(v => v.Address).MaxBy(v => v.Value);
            changed = _routerAddress is null && leader.Value >= VotesForAddress && !leader.Key.Equals(ExternalAddress);
            if (changed) ExternalAddress = leader.Key;
        }
        if (!changed || ExternalAddress is not { } external) return;
        OnExternalAddressChanged(external, "other nodes");
    }

    /// <summary>Logs our new external address and, when our id does not fit it, saves it for the next start's id.</summary>
    private void OnExternalAddressChanged(IPAddress external, string who)
    {
        _options.Log?.Invoke($"dht: {who} see{(who == "the router" ? "s" : "")} us at {external}");
        if (SecureNodeId.Matches(Id, external)) return;
        // BEP 42: "A DHT node which receives an ip result in a request SHOULD consider restarting its DHT node with a new
        // node ID". The routing table is built around the id, so the new one is taken at the next start.
        _options.Log?.Invoke($"dht: our node id does not fit {external} (BEP 42); the next start takes one that does");
        try { Save(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _options.Log?.Invoke($"dht: could not save the state: {e.Message}"); }
    }

    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
