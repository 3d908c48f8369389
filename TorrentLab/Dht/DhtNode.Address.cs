using System.Net;

namespace TorrentLab.Dht;

public sealed partial class DhtNode
{
    private readonly ExternalAddressVotes _externalAddress;

    /// <summary>Our address as the DHT sees it (BEP 42's "ip" in the answers to our queries), once at least
    /// <see cref="ExternalAddressVotes.VotesForAddress"/> nodes said so, or as the router in front of us named it; null
    /// before.</summary>
    public IPAddress? ExternalAddress => _externalAddress.Current;

    /// <summary>The router in front of us says our external address is <paramref name="address"/> (UPnP's
    /// GetExternalIPAddress, NAT-PMP's external address, PCP's assigned address): it is ours from now on
    /// (<see cref="ExternalAddressVotes.NoteRouter"/> says which it ignores), and when our id does not fit it (BEP 42),
    /// the next start takes one that does.</summary>
    internal void NoteRouterAddress(IPAddress address)
    {
        if (_externalAddress.NoteRouter(address) is { } external) OnExternalAddressChanged(external, "the router");
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
        if (_externalAddress.NoteReported(reported, voter) is { } external) OnExternalAddressChanged(external, "other nodes");
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
}
