using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Tracker;

namespace TorrentLab.Swarm;

// The holepunch extension (BEP 55). Two peers behind NATs cannot dial each other: each NAT drops what the other sends
// first. A third peer connected to both (the relay) tells both to dial each other over uTP at the same moment; each
// side's first packet opens its own NAT for the other's answer. This swarm plays all three parts:
//   initiator  a dial to a peer learned by PEX failed; PEX said it speaks ut_holepunch and uTP: ask the peer that named
//              it for a rendezvous (AskForRendezvous);
//   relay      a rendezvous came: tell both peers to connect to each other, or say why not (OnRendezvous);
//   target     (and initiator) a connect came: dial that endpoint over uTP now, whatever its back-off, when the
//              HolepunchGate allows it (OnConnect): never to another scope than the relay's.
internal sealed partial class TorrentSwarm
{
    /// <summary>ut_holepunch messages a peer may send us per minute; more are ignored. A relay answers each rendezvous
    /// with two messages, and a connect makes us dial: without a bound one peer could make us its dialling machine.</summary>
    private const int MaxHolepunchesPerMinute = 20;

    private const int MaxIntroductions = 1000; // addresses whose introducer we remember (PEX names at most 50 at a time)

    private readonly Lock _holepunchLock = new();
    private readonly Dictionary<IPEndPoint, (SwarmPeer By, PexFlags Flags)> _introducedBy = [];
    private HolepunchGate? _gate;
    private HolepunchGate Gate => _gate ??= new HolepunchGate(Time);

    /// <summary>Remembers which peer named which addresses, and with what flags: a failed dial asks that peer for help.</summary>
    private void RememberIntroducer(SwarmPeer from, IReadOnlyList<PexPeer> peers)
    {
        lock (_holepunchLock)
            foreach (var peer in peers)
                if (_introducedBy.Count < MaxIntroductions || _introducedBy.ContainsKey(peer.EndPoint))
                    _introducedBy[peer.EndPoint] = (from, peer.Flags);
    }

    /// <summary>Initiator: a dial to <paramref name="endpoint"/> failed. BEP 55: "the initiating peer sends a rendezvous
    /// message to the relaying peer"; we do so when the PEX message that named it said it supports ut_holepunch and uTP
    /// (the punch is made over uTP), the peer that named it is still connected and speaks ut_holepunch, and we did not
    /// ask for this address in the last <see cref="HolepunchGate.RendezvousRetry"/>.</summary>
    private void AskForRendezvous(IPEndPoint endpoint)
    {
        SwarmPeer relay;
        lock (_holepunchLock)
        {
            if (!_introducedBy.TryGetValue(endpoint, out var introduction)) return;
            const PexFlags needed = PexFlags.SupportsHolepunch | PexFlags.SupportsUtp;
            if ((introduction.Flags & needed) != needed || !introduction.By.SupportsHolepunch || _session.Utp is null) return;
            if (Array.IndexOf(PeersSnapshot(), introduction.By) < 0) return; // the introducer left
            relay = introduction.By;
            if (!Gate.TryAsk(Normal(relay.Connection.RemoteEndPoint), endpoint)) return;
        }
        if (relay.SendHolepunch(HolepunchMessage.Rendezvous(endpoint)))
            _log?.Invoke($"{relay}: sent {HolepunchMessage.Rendezvous(endpoint)} (our dial failed; it named that peer)");
    }

    /// <summary>A ut_holepunch message from <paramref name="from"/>: one switch over its three types. A malformed one
    /// is ignored, as libtorrent does (it is a request for a favour, not part of the peer's own exchange with us).</summary>
    public void OnHolepunch(SwarmPeer from, ReadOnlyMemory<byte> payload)
    {
        if (!from.SupportsHolepunch) return; // we could not answer it
        HolepunchMessage message;
        try
        {
            message = HolepunchMessage.Decode(payload.Span);
        }
        catch (ExtensionException e)
        {
            _log?.Invoke($"{from}: ignored a malformed ut_holepunch message ({e.Message})");
            return;
        }
        if (from.HolepunchesThisMinute(Time.GetUtcNow()) > MaxHolepunchesPerMinute)
        {
            _log?.Invoke($"{from}: ignored {message}: more than {MaxHolepunchesPerMinute} a minute");
            return;
        }
        var endpoint = Normal(message.EndPoint);
        switch (message.Type)
        {
            case HolepunchMessageType.Rendezvous: OnRendezvous(from, endpoint); break;
            case HolepunchMessageType.Connect: OnConnect(from, endpoint); break;
            case HolepunchMessageType.Error: _log?.Invoke($"{from}: {message}"); break; // the initiator's dial stays failed
        }
    }

    /// <summary>Relay: BEP 55 "relaying peer ... sends a connect message to both the initiating and the target peer",
    /// when it is connected to the target and the target speaks ut_holepunch; otherwise an error to the initiator.</summary>
    private void OnRendezvous(SwarmPeer initiator, IPEndPoint target)
    {
        var error = HolepunchError.None;
        SwarmPeer? other = null;
        if (!PeerAddressPolicy.MayDial(target)) error = HolepunchError.NoSuchPeer;
        else if (IsAt(initiator, target)) error = HolepunchError.NoSelf;
        else if ((other = Array.Find(PeersSnapshot(), p => p != initiator && IsAt(p, target))) is null) error = HolepunchError.NotConnected;
        else if (!other.SupportsHolepunch) error = HolepunchError.NoSupport;
        // Never join an outside peer to a loopback or LAN peer of ours (or the other way round): to the initiator it
        // is as if we knew no such peer.
        else if (!HolepunchGate.MayJoin(Normal(initiator.Connection.RemoteEndPoint).Address, Normal(other.Connection.RemoteEndPoint).Address))
            error = HolepunchError.NotConnected;
        if (error != HolepunchError.None)
        {
            initiator.SendHolepunch(HolepunchMessage.Failed(target, error));
            _log?.Invoke($"{initiator}: rendezvous for {target} refused ({error})");
            return;
        }
        initiator.SendHolepunch(HolepunchMessage.Connect(target));
        other!.SendHolepunch(HolepunchMessage.Connect(PunchAddress(initiator)));
        _log?.Invoke($"{initiator}: relayed a rendezvous with {other} (BEP 55 connect to both)");
    }

    /// <summary>Target or initiator: BEP 55 "upon receiving a connect message, each peer initiates a uTP connection to
    /// the other peer" - now, past the address's back-off, when the <see cref="HolepunchGate"/> allows it (the
    /// address we asked this relay about, or an introduction within the relay's budget; never another scope than the
    /// relay's), under the peer book's rules (never an unspecified, broadcast, multicast or link-local address, nor a
    /// banned one, nor one we are connected to already).</summary>
    private void OnConnect(SwarmPeer relay, IPEndPoint endpoint)
    {
        if (_session.Utp is null || _stop.IsCancellationRequested) return;
        if (Array.Exists(PeersSnapshot(), p => IsAt(p, endpoint))) return; // already connected: nothing to punch
        ConnectVerdict verdict;
        lock (_holepunchLock) verdict = Gate.Judge(Normal(relay.Connection.RemoteEndPoint), endpoint);
        if (verdict is ConnectVerdict.ScopeDiffers or ConnectVerdict.OverBudget)
        {
            _log?.Invoke($"{relay}: ignored ut_holepunch connect to {endpoint} ({(verdict == ConnectVerdict.ScopeDiffers
                ? "not in the relay's address scope" : $"more than {HolepunchGate.MaxIntroductionsPerMinute} unasked a minute")})");
            return;
        }
        if (!_book.TakeNow(endpoint, PeerSource.Pex))
        {
            _log?.Invoke($"{relay}: ignored ut_holepunch connect to {endpoint} (refused by the peer book or already dialling)");
            return;
        }
        Interlocked.Increment(ref _connecting);
        _log?.Invoke($"{relay}: holepunch: dialling {endpoint} over uTP");
        Track(DialAsync(endpoint, _stop.Token, utpOnly: true));
    }

    /// <summary>True when <paramref name="peer"/>'s connection comes from <paramref name="endpoint"/> or it listens there.</summary>
    private static bool IsAt(SwarmPeer peer, IPEndPoint endpoint) =>
        Normal(peer.Connection.RemoteEndPoint).Equals(endpoint) || (peer.ListenEndPoint is { } listen && Normal(listen).Equals(endpoint));

    /// <summary>Where the other side should send its uTP packets to reach <paramref name="peer"/>: the source of its
    /// uTP connection (its UDP socket, as its NAT maps it), else its listen address (a NAT that keeps port numbers
    /// maps its UDP socket there too).</summary>
    private static IPEndPoint PunchAddress(SwarmPeer peer) =>
        Normal(peer.Connection.Transport == "utp" ? peer.Connection.RemoteEndPoint : peer.ListenEndPoint ?? peer.Connection.RemoteEndPoint);

    private static IPEndPoint Normal(IPEndPoint e) => e.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(Host(e.Address), e.Port) : e;
}
