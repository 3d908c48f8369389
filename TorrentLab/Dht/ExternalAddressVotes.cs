using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Dht;

/// <summary>Our external address as one DHT sees it (BEP 42): voted by the "ip" of the answers to our queries, and
/// outranked by the router in front of us when it names one.</summary>
/// <param name="family">The family of the node's DHT: an address of the other family is not ours there.</param>
/// <param name="saved">The address the state file kept, ours until the votes or the router say otherwise.</param>
internal sealed class ExternalAddressVotes(AddressFamily family, IPAddress? saved)
{
    /// <summary>Distinct voters needed before an address the answers name counts as ours.</summary>
    internal const int VotesForAddress = 3;

    /// <summary>The votes weighed: the latest ones, so that a changed address (another network) wins in time.</summary>
    private const int VoteWindow = 64;

    private readonly Lock _lock = new();

    // BEP 42: the latest (address named, voter) pairs from answers to our queries. A voter counts once per IP address
    // (one host cannot outvote the rest with many ports), except on a local network, where there is no remote attacker
    // to fear and several nodes may share a machine.
    private readonly Queue<(IPAddress Address, string Voter)> _votes = new();

    // The router's word (a port mapping's external address): it outranks the votes, as libtorrent ranks source_router
    // above the DHT, peers and trackers. Votes are still counted meanwhile.
    private IPAddress? _routerAddress;

    /// <summary>Our address, once at least <see cref="VotesForAddress"/> nodes said so, or as the router named it;
    /// the saved one before, else null.</summary>
    public IPAddress? Current { get; private set; } = saved;

    /// <summary>The router says our external address is <paramref name="address"/>: it is ours from now on. An address
    /// of the other family, or one BEP 42 exempts (a private one: another NAT in front), is ignored. Returns the
    /// address when it became ours now, else null.</summary>
    public IPAddress? NoteRouter(IPAddress address)
    {
        address = Plain(address);
        if (address.AddressFamily != family || SecureNodeId.IsExempt(address)) return null;
        lock (_lock)
        {
            _routerAddress = address;
            if (address.Equals(Current)) return null;
            Current = address;
            return address;
        }
    }

    /// <summary>Counts <paramref name="voter"/>'s word that our queries come from <paramref name="reported"/>; returns
    /// the address the votes made ours now, else null.</summary>
    public IPAddress? NoteReported(IPEndPoint reported, IPEndPoint voter)
    {
        var address = Plain(reported.Address);
        var voterKey = SecureNodeId.IsExempt(voter.Address) ? voter.ToString() : Plain(voter.Address).ToString();
        lock (_lock)
        {
            if (_votes.Contains((address, voterKey))) return null;
            _votes.Enqueue((address, voterKey));
            if (_votes.Count > VoteWindow) _votes.Dequeue();
            var leader = _votes.CountBy(v => v.Address).MaxBy(v => v.Value);
            if (_routerAddress is not null || leader.Value < VotesForAddress || leader.Key.Equals(Current)) return null;
            Current = leader.Key;
            return leader.Key;
        }
    }

    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
