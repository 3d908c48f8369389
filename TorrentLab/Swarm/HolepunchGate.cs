using System.Net;
using TorrentLab.Tracker;

namespace TorrentLab.Swarm;

/// <summary>What we do with a BEP 55 <c>connect</c>.</summary>
internal enum ConnectVerdict
{
    /// <summary>Initiator: the answer to a rendezvous we asked this relay for, naming the address we asked about.</summary>
    Asked,
    /// <summary>Target: the relay introduces a peer that asked for us; within the relay's budget.</summary>
    Introduced,
    /// <summary>The address's scope differs from the relay's (a loopback or LAN address named from outside, or the
    /// other way round): never dialled.</summary>
    ScopeDiffers,
    /// <summary>More unasked connects from this relay than <see cref="HolepunchGate.MaxIntroductionsPerMinute"/>.</summary>
    OverBudget,
}

/// <summary>Who may make us dial through BEP 55, and whom a relay may join: the holepunch rules that protect others
/// from our packets.</summary>
/// <remarks>
/// A <c>connect</c> makes us send a uTP SYN to the address it names. Unchecked, any peer could aim our packets at our
/// own loopback services, our LAN or anyone on the internet. So:
/// <list type="bullet">
/// <item>Never to an address whose scope (<see cref="AddressScope"/>) differs from the relay's: a peer on the internet
///   cannot know a peer at our 127.0.0.1 or 10.0.0.50; a peer on our LAN has no business naming our loopback.</item>
/// <item>A connect that answers a rendezvous we sent to this relay, for the address we asked about, is honoured once
///   (the initiator's part).</item>
/// <item>Any other connect is the target's part of BEP 55 (someone asked the relay for us; we cannot know who in
///   advance), honoured at most <see cref="MaxIntroductionsPerMinute"/> times a minute per relay. libtorrent honours
///   such connects too, through its peer list's filters.</item>
/// </list>
/// As relay we join two peers only when their addresses have the same scope: never an outside peer to a loopback or LAN
/// peer of ours. Not thread-safe: the swarm calls it under its holepunch lock.
/// </remarks>
internal sealed class HolepunchGate(TimeProvider clock)
{
    /// <summary>How long after a rendezvous for an address we ask again, and how long its answer is awaited.</summary>
    public static readonly TimeSpan RendezvousRetry = TimeSpan.FromSeconds(60);

    /// <summary>Unasked connects (the target's part) one relay may make us dial per minute: a relay forwards one per
    /// initiator that wants us, and few peers at once fail to reach us.</summary>
    public const int MaxIntroductionsPerMinute = 4;

    private const int MaxRemembered = 1000; // rendezvous asked and relays counted (each expires within a minute)

    private readonly Dictionary<IPEndPoint, (IPEndPoint Relay, DateTimeOffset At, bool Answered)> _asked = [];
    private readonly Dictionary<IPEndPoint, (DateTimeOffset Minute, int Count)> _introductions = [];

    /// <summary>Records that we ask <paramref name="relay"/> for a rendezvous with <paramref name="target"/>; false
    /// when we asked for that address in the last <see cref="RendezvousRetry"/> (ask once a minute).</summary>
    public bool TryAsk(IPEndPoint relay, IPEndPoint target)
    {
        var now = clock.GetUtcNow();
        if (_asked.TryGetValue(target, out var asked) && now - asked.At < RendezvousRetry) return false;
        if (_asked.Count >= MaxRemembered) Forget(_asked, e => now - e.At >= RendezvousRetry);
        if (_asked.Count >= MaxRemembered) return false;
        _asked[target] = (relay, now, false);
        return true;
    }

    /// <summary>Judges a connect from <paramref name="relay"/> (its connection's address) naming <paramref name="endpoint"/>.</summary>
    public ConnectVerdict Judge(IPEndPoint relay, IPEndPoint endpoint)
    {
        if (AddressScopes.Of(endpoint.Address) != AddressScopes.Of(relay.Address)) return ConnectVerdict.ScopeDiffers;
        var now = clock.GetUtcNow();
        if (_asked.TryGetValue(endpoint, out var asked) && !asked.Answered && asked.Relay.Equals(relay) && now - asked.At < RendezvousRetry)
        {
            _asked[endpoint] = asked with { Answered = true }; // a second connect for it is no answer of ours
            return ConnectVerdict.Asked;
        }
        var (minute, count) = _introductions.GetValueOrDefault(relay);
        if (now - minute >= TimeSpan.FromMinutes(1)) (minute, count) = (now, 0);
        if (count >= MaxIntroductionsPerMinute) return ConnectVerdict.OverBudget;
        if (_introductions.Count >= MaxRemembered) Forget(_introductions, e => now - e.Minute >= TimeSpan.FromMinutes(1));
        if (_introductions.Count >= MaxRemembered && !_introductions.ContainsKey(relay)) return ConnectVerdict.OverBudget;
        _introductions[relay] = (minute, count + 1);
        return ConnectVerdict.Introduced;
    }

    /// <summary>Relay: whether peers at <paramref name="initiator"/> and <paramref name="target"/> may be joined
    /// (their scopes are the same).</summary>
    public static bool MayJoin(IPAddress initiator, IPAddress target) => AddressScopes.Of(initiator) == AddressScopes.Of(target);

    private static void Forget<T>(Dictionary<IPEndPoint, T> map, Func<T, bool> stale)
    {
        foreach (var key in map.Where(e => stale(e.Value)).Select(e => e.Key).ToList()) map.Remove(key);
    }
}
