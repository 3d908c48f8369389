using System.Diagnostics.CodeAnalysis;
using System.Net;
using TorrentLab.Extensions;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// The extension protocol (BEP 10) on this connection: our handshake, the peer's, and the messages of the extensions
// of Extensions/ExtensionRegistry.cs, whose handlers act on this peer through IExtensionPeer. The swarm decides whom
// to tell about whom (PeerExchange.cs) and whom to introduce (Holepunching.cs).
internal sealed partial class SwarmPeer : IExtensionPeer
{
    private ExtensionChannel? _extensions;
    private volatile PexState? _pex;
    private int _toldUploadOnly;
    private const int MaxLossesLogged = 16; // lt_donthave lines logged per peer
    private int _lossesLogged;

    /// <summary>The address other peers can dial it on: the endpoint we dialled, or for an incoming peer its IP with
    /// the <c>p</c> port of its extension handshake; null while unknown (its connection's source port is not one).</summary>
    public IPEndPoint? ListenEndPoint { get; private set; }

    /// <summary>BEP 21: the peer said it wants nothing more (<c>upload_only</c> in its extension handshake).</summary>
    public bool UploadOnly { get; private set; }

    /// <summary>Our extension handshake and the peer's, once sent (null when either side did not set BEP 10's bit).</summary>
    internal ExtensionChannel? Channel => _extensions;

    /// <summary>The peer exchange with it, once both sides announced ut_pex (never for a private torrent).</summary>
    public PexState? Pex => _pex;

    /// <summary>Sends our extension handshake when both sides set BEP 10's reserved bit. BEP 10: it "should be sent
    /// immediately after the standard bittorrent handshake"; call before the bitfield, before the loops start.</summary>
    /// <param name="dialled">The endpoint we dialled (its listen address), or null for an incoming peer.</param>
    /// <param name="ct">Stops the send.</param>
    public async ValueTask StartExtensionsAsync(IPEndPoint? dialled, CancellationToken ct)
    {
        ListenEndPoint = dialled;
        if (!Connection.ExtensionsAgreed) return;
        // BEP 27: a private torrent "MUST NOT" use PEX, so ut_pex is not even offered. BEP 10's "p" is our TCP port; uTP
        // listens at the same number (as libtorrent and uTorrent do), so one port serves peers on either transport.
        // BEP 21's upload_only follows in a second handshake, once the peer said whether it is interested (AnnounceUploadOnly).
        var ours = ExtensionHandshake.Ours(Connection.RemoteEndPoint, _swarm.Port, _parts.Metadata.MetadataSize,
            pex: !_parts.Torrent.IsPrivate);
        _extensions = new ExtensionChannel(Connection, ours);
        await _extensions.SendHandshakeAsync(ct).ConfigureAwait(false);
    }

    /// <summary>An <c>extended</c> message from the receive loop, routed by the ids WE chose (BEP 10) to the
    /// extension of <see cref="ExtensionRegistry"/> that owns it.</summary>
    /// <exception cref="ExtensionException">A malformed handshake, metadata, PEX or lt_donthave message (the peer is dropped).</exception>
    private void OnExtended(in PeerMessage message)
    {
        if (_extensions is null) return; // we did not offer extensions: nothing to route it by
        var name = _extensions.Route(message);
        if (name == "handshake") OnExtensionHandshake(_extensions.Theirs!);
        else if (name is not null) ExtensionRegistry.Find(name)?.Receive(this, message.Payload);
        // null: an id we never assigned; BEP 10 asks us to ignore it.
    }

    /// <exception cref="PeerViolation">A client ban rule names its <c>v</c> (<see cref="PeerRules.RefusesClient"/>).</exception>
    private void OnExtensionHandshake(ExtensionHandshake theirs)
    {
        if (_parts.Rules.RefusesClient(theirs.Client) is { } banned) throw new PeerViolation(banned);
        if (theirs.YourIp is { } ours) _swarm.OnAddressReported(this, ours);
        if (ListenEndPoint is null && theirs.ListenPort is { } port)
        {
            ListenEndPoint = new IPEndPoint(Connection.RemoteEndPoint.Address, port);
            _swarm.OnPeerEvent(this, PeerEvent.ListenAddressKnown);
        }
        foreach (var extension in ExtensionRegistry.All) extension.OnHandshake(this, theirs);
    }

    // What the extensions' handlers see of this peer and its swarm (IExtensionPeer).
    ExtensionChannel IExtensionPeer.Channel => _extensions!;
    Metainfo.Torrent IExtensionPeer.Torrent => _parts.Torrent;
    bool IExtensionPeer.IsPrivate => _parts.Torrent.IsPrivate;
    void IExtensionPeer.Log(string line) => _swarm.Log($"{Connection.RemoteEndPoint}: {line}");
    int IExtensionPeer.PieceCount => _pieces.PieceCount;
    MetadataServer IExtensionPeer.Metadata => _parts.Metadata;

    void IExtensionPeer.Answer(IExtension extension, ReadOnlyMemory<byte> payload)
    {
        if (_extensions!.TryGetTheirId(extension.Name, out var id)) _upload.EnqueueAnswer(PeerMessage.Extended(id, payload), extension.Name);
    }

    void IExtensionPeer.StartPex() => _parts.PeerExchange.Ready(this, new PexState(ListenEndPoint ?? Connection.RemoteEndPoint, isPrivate: false, _time));
    void IExtensionPeer.OnPexLearned(IReadOnlyList<PexPeer> peers) => _parts.PeerExchange.Learned(this, peers);
    void IExtensionPeer.OnHolepunch(ReadOnlyMemory<byte> payload) => _parts.Holepunching.OnMessage(this, payload);
    void IExtensionPeer.OnHolepunchReady() => _swarm.OnPeerEvent(this, PeerEvent.ListenAddressKnown);

    void IExtensionPeer.OnUploadOnly(bool uploadOnly)
    {
        if (uploadOnly == UploadOnly) return;
        UploadOnly = uploadOnly;
        if (uploadOnly) _swarm.OnPeerEvent(this, PeerEvent.UploadOnly);
    }

    /// <summary>BEP 54: the peer lost a piece it had announced (libtorrent sends it when a read fails). We stop
    /// counting it there and take back our requests for it, which go to other peers.</summary>
    void IExtensionPeer.OnPieceLost(int index)
    {
        Connection.PeerPieces?.Clear(index);
        var (had, released) = _pieces.PeerLost(this, index);
        if (had)
        {
            Interlocked.Decrement(ref _peerHaveCount);
            // A few lines per peer: one that announces and withdraws pieces in a loop must not fill the log.
            if (Interlocked.Increment(ref _lossesLogged) <= MaxLossesLogged)
                _swarm.Log($"{Connection.RemoteEndPoint}: no longer has piece {index} (lt_donthave); {released.Count} request(s) go elsewhere");
        }
        foreach (var request in released) ForgetRequests(request);
    }

    /// <summary>BEP 55: both sides offered ut_holepunch (never on a private torrent: we do not offer it there).</summary>
    public bool SupportsHolepunch => _extensions is { } channel && channel.BothSpeak(ExtensionRegistry.UtHolepunch.Name);

    /// <summary>Queues a ut_holepunch message (BEP 55) with the id the peer chose; false when it does not speak it.</summary>
    public bool SendHolepunch(HolepunchMessage message)
    {
        if (!SupportsHolepunch || !_extensions!.TryGetTheirId(ExtensionRegistry.UtHolepunch.Name, out var id)) return false;
        Enqueue(PeerMessage.Extended(id, message.Encode()));
        return true;
    }

    /// <summary>BEP 55 messages this peer sent in the current minute (the swarm's rate limit, Holepunching.cs).</summary>
    public int HolepunchesThisMinute(DateTimeOffset now)
    {
        lock (_holepunchLock)
        {
            if (now - _holepunchMinute >= TimeSpan.FromMinutes(1)) (_holepunchMinute, _holepunchCount) = (now, 0);
            return ++_holepunchCount;
        }
    }

    private readonly Lock _holepunchLock = new();
    private DateTimeOffset _holepunchMinute;
    private int _holepunchCount;

    /// <summary>BEP 21: we want nothing more (a seed, a partial seed, or a download just finished); tells the peer in
    /// a second extension handshake (BEP 10 allows one at any time), once. A seed or partial seed says it wants nothing,
    /// so a peer that wants nothing either can close the connection and keep its slots for downloaders.</summary>
    public void AnnounceUploadOnly()
    {
        // Not to a super-seeded peer (as libtorrent): between two revealed pieces it is not interested in us, and a peer
        // that knows we are upload-only drops us then.
        if (SuperSeeded || _extensions is not { } channel || channel.Ours.UploadOnly == true || Interlocked.Exchange(ref _toldUploadOnly, 1) != 0) return;
        Enqueue(PeerMessage.Extended(ExtensionIds.Handshake, UploadOnlyExtension.Announce(channel.Ours).Encode()));
    }

    /// <summary>We want pieces again (BEP 21): a peer we told we were upload-only hears that we are not.</summary>
    public void WithdrawUploadOnly()
    {
        if (_extensions is not { } channel || Interlocked.Exchange(ref _toldUploadOnly, 0) == 0) return;
        Enqueue(PeerMessage.Extended(ExtensionIds.Handshake, UploadOnlyExtension.Withdraw(channel.Ours).Encode()));
    }

    /// <summary>Called by the swarm when our side of the exchange is set up (after it told the state who is here).</summary>
    public void AttachPex(PexState state) => _pex = state;

    /// <summary>Sends the next PEX message if one is due (at most one a minute, BEP 11); false otherwise.</summary>
    public bool TrySendPex([NotNullWhen(true)] out PexMessage? message)
    {
        message = null;
        if (_pex is not { } pex || _extensions is null || !_extensions.TryGetTheirId(ExtensionRegistry.UtPex.Name, out var id)) return false;
        if (!pex.TryCreateMessage(out message)) return false;
        Enqueue(PeerMessage.Extended(id, message.Encode()));
        return true;
    }
}
