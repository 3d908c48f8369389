using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Tracker;

namespace TorrentLab.Swarm;

/// <summary>The holepunch extension (BEP 55), the swarm's part of it: whom to ask for a rendezvous, whom to introduce,
/// whom to dial through a NAT.</summary>
/// <remarks>Two peers behind NATs cannot dial each other: each NAT drops what the other sends first. A third peer
/// connected to both (the relay) tells both to dial each other over uTP at the same moment; each side's first packet
/// opens its own NAT for the other's answer. This part plays all three roles:
/// <list type="bullet">
/// <item>initiator: a dial to a peer learned by PEX failed; PEX said it speaks ut_holepunch and uTP: ask the peer that
/// named it for a rendezvous (<see cref="AskForRendezvous"/>);</item>
/// <item>relay: a rendezvous came: tell both peers to connect to each other, or say why not (OnRendezvous);</item>
/// <item>target (and initiator): a connect came: dial that endpoint over uTP now, whatever its back-off, when the
/// <see cref="HolepunchGate"/> allows it (OnConnect): never to another scope than the relay's.</item>
/// </list></remarks>
internal sealed class Holepunching
{
    /// <summary>ut_holepunch messages a peer may send us per minute; more are ignored. A relay answers each rendezvous
    /// with two messages, and a connect makes us dial: without a bound one peer could make us its dialling machine.</summary>
    private const int MaxHolepunchesPerMinute = 20;

    private const int MaxIntroductions = 1000; // addresses whose introducer we remember (PEX names at most 50 at a time)

    private readonly TorrentSwarm _swarm;
    private readonly Lock _holepunchLock = new();
    private readonly Dictionary<IPEndPoint, (SwarmPeer By, PexFlags Flags)> _introducedBy = [];
    private HolepunchGate? _gate;
    private HolepunchGate Gate => _gate ??= new HolepunchGate(_swarm.Time);

    public Holepunching(TorrentSwarm swarm) => _swarm = swarm;

    /// <summary>Remembers which peer named which addresses, and with what flags: a failed dial asks that peer for help.</summary>
    public void RememberIntroducer(SwarmPeer from, IReadOnlyList<PexPeer> peers)
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
    public void AskForRendezvous(IPEndPoint endpoint)
    {
        SwarmPeer relay;
        lock (_holepunchLock)
        {
            if (!_introducedBy.TryGetValue(endpoint, out var introduction)) return;
            const PexFlags needed = PexFlags.SupportsHolepunch | PexFlags.SupportsUtp;
            if ((introduction.Flags & needed) != needed || !introduction.By.SupportsHolepunch || !_swarm.HasUtp) return;
            if (Array.IndexOf(_swarm.PeersSnapshot(), introduction.By) < 0) return; // the introducer left
            relay = introduction.By;
            if (!Gate.TryAsk(Normal(relay.Connection.RemoteEndPoint), endpoint)) return;
        }
        if (relay.SendHolepunch(HolepunchMessage.Rendezvous(endpoint)))
            _swarm.Log($"{relay}: sent {HolepunchMessage.Rendezvous(endpoint)} (our dial failed; it named that peer)");
    }

    /// <summary>A ut_holepunch message from <paramref name="from"/>: one switch over its three types. A malformed one
    /// is ignored, as libtorrent does (it is a request for a favour, not part of the peer's own exchange with us).</summary>
    public void OnMessage(SwarmPeer from, ReadOnlyMemory<byte> payload)
    {
        if (!from.SupportsHolepunch) return; // we could not answer it
        HolepunchMessage message;
        try
        {
            message = HolepunchMessage.Decode(payload.Span);
        }
        catch (ExtensionException e)
        {
            _swarm.Log($"{from}: ignored a malformed ut_holepunch message ({e.Message})");
            return;
        }
        if (from.HolepunchesThisMinute(_swarm.Time.GetUtcNow()) > MaxHolepunchesPerMinute)
        {
            _swarm.Log($"{from}: ignored {message}: more than {MaxHolepunchesPerMinute} a minute");
            return;
        }
        var endpoint = Normal(message.EndPoint);
        switch (message.Type)
        {
            case HolepunchMessageType.Rendezvous: OnRendezvous(from, endpoint); break;
            case HolepunchMessageType.Connect: OnConnect(from, endpoint); break;
            case HolepunchMessageType.Error: _swarm.Log($"{from}: {message}"); break; // the initiator's dial stays failed
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
        else if ((other = Array.Find(_swarm.PeersSnapshot(), p => p != initiator && IsAt(p, target))) is null) error = HolepunchError.NotConnected;
        else if (!other.SupportsHolepunch) error = HolepunchError.NoSupport;
        // Never join an outside peer to a loopback or LAN peer of ours (or the other way round): to the initiator it
        // is as if we knew no such peer.
        else if (!HolepunchGate.MayJoin(Normal(initiator.Connection.RemoteEndPoint).Address, Normal(other.Connection.RemoteEndPoint).Address))
            error = HolepunchError.NotConnected;
        if (error != HolepunchError.None)
        {
            initiator.SendHolepunch(HolepunchMessage.Failed(target, error));
            _swarm.Log($"{initiator}: rendezvous for {target} refused ({error})");
            return;
        }
        initiator.SendHolepunch(HolepunchMessage.Connect(target));
        other!.SendHolepunch(HolepunchMessage.Connect(PunchAddress(initiator)));
        _swarm.Log($"{initiator}: relayed a rendezvous with {other} (BEP 55 connect to both)");
    }

    /// <summary>Target or initiator: BEP 55 "upon receiving a connect message, each peer initiates a uTP connection to
    /// the other peer" - now, past the address's back-off, when the <see cref="HolepunchGate"/> allows it (the
    /// address we asked this relay about, or an introduction within the relay's budget; never another scope than the
    /// relay's), under the peer book's rules (never an unspecified, broadcast, multicast or link-local address, nor a
    /// banned one, nor one we are connected to already).</summary>
    private void OnConnect(SwarmPeer relay, IPEndPoint endpoint)
    {
        if (!_swarm.HasUtp || _swarm.Stopping.IsCancellationRequested) return;
        if (Array.Exists(_swarm.PeersSnapshot(), p => IsAt(p, endpoint))) return; // already connected: nothing to punch
        ConnectVerdict verdict;
        lock (_holepunchLock) verdict = Gate.Judge(Normal(relay.Connection.RemoteEndPoint), endpoint);
        if (verdict is ConnectVerdict.ScopeDiffers or ConnectVerdict.OverBudget)
        {
            _swarm.Log($"{relay}: ignored ut_holepunch connect to {endpoint} ({(verdict == ConnectVerdict.ScopeDiffers
                ? "not in the relay's address scope" : $"more than {HolepunchGate.MaxIntroductionsPerMinute} unasked a minute")})");
            return;
        }
        if (!_swarm.TakeNow(endpoint, PeerSource.Pex))
        {
            _swarm.Log($"{relay}: ignored ut_holepunch connect to {endpoint} (refused by the peer book or already dialling)");
            return;
        }
        _swarm.Log($"{relay}: holepunch: dialling {endpoint} over uTP");
        _swarm.DialOverUtp(endpoint);
    }

    /// <summary>True when <paramref name="peer"/>'s connection comes from <paramref name="endpoint"/> or it listens there.</summary>
    private static bool IsAt(SwarmPeer peer, IPEndPoint endpoint) =>
        Normal(peer.Connection.RemoteEndPoint).Equals(endpoint) || (peer.ListenEndPoint is { } listen && Normal(listen).Equals(endpoint));

    /// <summary>Where the other side should send its uTP packets to reach <paramref name="peer"/>: the source of its
    /// uTP connection (its UDP socket, as its NAT maps it), else its listen address (a NAT that keeps port numbers
    /// maps its UDP socket there too).</summary>
    private static IPEndPoint PunchAddress(SwarmPeer peer) =>
        Normal(peer.Connection.Transport == "utp" ? peer.Connection.RemoteEndPoint : peer.ListenEndPoint ?? peer.Connection.RemoteEndPoint);

    private static IPEndPoint Normal(IPEndPoint e) => e.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(PeerAdmission.Host(e.Address), e.Port) : e;
}
