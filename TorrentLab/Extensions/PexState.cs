using System.Diagnostics.CodeAnalysis;
using System.Net;
using TorrentLab.Tracker;

namespace TorrentLab.Extensions;

/// <summary>Peer exchange (BEP 11) with one remote peer: what we still have to tell it, when we may, and what it told us.</summary>
/// <remarks>
/// The swarm engine reports every peer that joins or leaves the torrent (<see cref="PeerConnected"/>,
/// <see cref="PeerDropped"/>) to the state of each connection that negotiated ut_pex, asks it for the next message
/// (<see cref="TryCreateMessage"/>) on its timer, and hands it what the remote sends (<see cref="Receive"/>), which
/// returns the peers worth dialling. Rules kept here:
/// <list type="bullet">
/// <item>At most one message per <see cref="MinInterval"/> each way: BEP 11 expects about one message a minute, and
/// we ignore a peer that sends faster (with <see cref="ReceiveTolerance"/> for timer jitter).</item>
/// <item>BEP 11: "Except for the initial PEX message the combined amount of added v4/v6 contacts should not exceed 50
/// entries. The same applies to dropped entries." Our initial message is capped at <see cref="MaxInitialAdded"/>
/// too; what does not fit waits for the next message.</item>
/// <item>A peer is announced as dropped only if we announced it as added; a peer that comes and goes between two
/// messages is never mentioned. Empty messages are never sent.</item>
/// <item>BEP 27: a private torrent uses no PEX; the state of a private torrent sends and learns nothing.</item>
/// </list>
/// Thread-safe.
/// </remarks>
internal sealed class PexState
{
    /// <summary>One message a minute, each way.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(1);

    /// <summary>Slack for a peer whose one-minute timer fires a little early.</summary>
    public static readonly TimeSpan ReceiveTolerance = TimeSpan.FromSeconds(10);

    /// <summary>BEP 11's cap on added (and on dropped) entries per message after the first.</summary>
    public const int MaxEntries = 50;

    /// <summary>Our cap for the first message, which BEP 11 leaves open.</summary>
    public const int MaxInitialAdded = 200;

    /// <summary>The most peers learned from one received message; the rest are ignored (a peer cannot flood our list).</summary>
    public const int MaxLearnedPerMessage = 200;

    private readonly Lock _lock = new();
    private readonly IPEndPoint _remote;
    private readonly TimeProvider _time;
    // What the next message will say: made when first needed and let go once a message has said it all, so the many
    // connections that have nothing to announce (most of them, most of the time) hold no tables.
    private Dictionary<IPEndPoint, PexFlags>? _pendingAdded;
    private List<IPEndPoint>? _addedOrder;
    private HashSet<IPEndPoint>? _pendingDropped;   // kept once made: its order picks which 50 go first
    private readonly AnnouncedSet _announced = new();
    private DateTimeOffset? _lastSent, _lastReceived;

    /// <summary>The exchange with <paramref name="remote"/> for a torrent; <paramref name="isPrivate"/> disables it (BEP 27).</summary>
    public PexState(IPEndPoint remote, bool isPrivate, TimeProvider? time = null)
    {
        _remote = remote;
        Enabled = !isPrivate;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>False for a private torrent: nothing is sent or learned.</summary>
    public bool Enabled { get; }

    /// <summary>Messages sent.</summary>
    public int MessagesSent { get; private set; }

    /// <summary>Received messages ignored because they came too soon (or PEX is disabled).</summary>
    public int MessagesIgnored { get; private set; }

    /// <summary>A peer joined the torrent; it goes into the next message's <c>added</c> (told again before that message,
    /// its flags are merged: a dialled peer's extension handshake comes after it was announced here).</summary>
    public void PeerConnected(PexPeer peer)
    {
        if (peer.EndPoint.Equals(_remote)) return;   // the remote knows itself
        lock (_lock)
        {
            if (_pendingDropped?.Remove(peer.EndPoint) == true || _announced.Contains(peer.EndPoint)) return;   // back before we said it left
            _pendingAdded ??= [];
            if (_pendingAdded.TryGetValue(peer.EndPoint, out var flags)) _pendingAdded[peer.EndPoint] = flags | peer.Flags; // learned more of it
            else if (_pendingAdded.TryAdd(peer.EndPoint, peer.Flags)) (_addedOrder ??= []).Add(peer.EndPoint);
        }
    }

    /// <summary>A peer left the torrent; it goes into the next message's <c>dropped</c> if the remote heard of it.</summary>
    public void PeerDropped(IPEndPoint peer)
    {
        lock (_lock)
        {
            if (_pendingAdded?.Remove(peer) == true)
            {
                _addedOrder!.Remove(peer);
                if (_pendingAdded.Count == 0) (_pendingAdded, _addedOrder) = (null, null);
            }
            else if (_announced.Contains(peer)) (_pendingDropped ??= []).Add(peer);
        }
    }

    /// <summary>The next message, if one is due (first message, or a minute since the last) and has something to say.</summary>
    public bool TryCreateMessage([NotNullWhen(true)] out PexMessage? message)
    {
        message = null; // checked for every peer every two seconds: nothing made for a message not due
        if (!Enabled) return false;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_lastSent is { } last && now - last < MinInterval) return false;
            if ((_pendingAdded?.Count ?? 0) == 0 && (_pendingDropped?.Count ?? 0) == 0) return false;

            var added = _addedOrder is null ? [] : _addedOrder.Take(_lastSent is null ? MaxInitialAdded : MaxEntries).ToList();
            var dropped = _pendingDropped is null ? [] : _pendingDropped.Take(MaxEntries).ToList();
            var peers = added.Select(p => new PexPeer(p, _pendingAdded![p])).ToList();
            foreach (var p in added)
            {
                _pendingAdded!.Remove(p);
                _announced.Add(p);
            }
            if (_addedOrder is not null)
            {
                _addedOrder.RemoveRange(0, added.Count);
                if (_addedOrder.Count == 0) (_pendingAdded, _addedOrder) = (null, null);
            }
            foreach (var p in dropped)
            {
                _pendingDropped!.Remove(p);
                _announced.Remove(p);
            }
            _lastSent = now;
            MessagesSent++;
            message = new PexMessage { Added = peers, Dropped = dropped };
            return true;
        }
    }

    /// <summary>Takes a message from the remote; returns the peers it announced that are worth dialling (not the
    /// remote itself, not port 0, no duplicates, at most <see cref="MaxLearnedPerMessage"/>). A message that comes
    /// sooner than a minute after the previous one is ignored.</summary>
    public IReadOnlyList<PexPeer> Receive(PexMessage message)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (!Enabled || _lastReceived is { } last && now - last < MinInterval - ReceiveTolerance)
            {
                MessagesIgnored++;
                return [];
            }
            _lastReceived = now;
        }
        var seen = new HashSet<IPEndPoint>();
        return message.Added
            .Where(p => PeerAddressPolicy.MayDial(p.EndPoint) && !p.EndPoint.Equals(_remote) && seen.Add(p.EndPoint))
            .Take(MaxLearnedPerMessage)
            .ToList();
    }

    /// <summary>Bytes of the arrays its tables hold now (what it costs a connection beyond its fixed fields): the
    /// peers announced, and what waits for the next message.</summary>
    internal long HeldBytes
    {
        get
        {
            lock (_lock)
            {
                long bytes = _announced.HeldBytes;
                // A dictionary's entry: hash, next, key, value (24 bytes), and a bucket (4); a set's: hash, next, item (16) and 4.
                if (_pendingAdded is not null) bytes += _pendingAdded.EnsureCapacity(0) * (24L + 4);
                if (_addedOrder is not null) bytes += _addedOrder.Capacity * 8L;
                if (_pendingDropped is not null) bytes += _pendingDropped.EnsureCapacity(0) * (16L + 4);
                return bytes;
            }
        }
    }

    /// <summary>The peers the remote was told of and not told have left: IPv4 endpoints (nearly all) as sorted
    /// 48-bit numbers, 8 bytes each, where a hash set of endpoints costs about 20 bytes an entry and keeps each
    /// endpoint object alive; anything else in a set of its own. Membership only: its order is never read.</summary>
    private sealed class AnnouncedSet
    {
        private ulong[] _v4 = [];
        private int _count;
        private HashSet<IPEndPoint>? _other;

        public long HeldBytes => _v4.Length * 8L + (_other?.EnsureCapacity(0) ?? 0) * (16L + 4);

        public bool Contains(IPEndPoint endpoint) =>
            Key(endpoint) is { } key ? Array.BinarySearch(_v4, 0, _count, key) >= 0 : _other?.Contains(endpoint) == true;

        public void Add(IPEndPoint endpoint)
        {
            if (Key(endpoint) is not { } key)
            {
                (_other ??= []).Add(endpoint);
                return;
            }
            var at = Array.BinarySearch(_v4, 0, _count, key);
            if (at >= 0) return;
            at = ~at;
            if (_count == _v4.Length) Array.Resize(ref _v4, Math.Max(4, _count + _count / 2));
            Array.Copy(_v4, at, _v4, at + 1, _count - at);
            _v4[at] = key;
            _count++;
        }

        public void Remove(IPEndPoint endpoint)
        {
            if (Key(endpoint) is not { } key)
            {
                _other?.Remove(endpoint);
                return;
            }
            var at = Array.BinarySearch(_v4, 0, _count, key);
            if (at < 0) return;
            Array.Copy(_v4, at + 1, _v4, at, _count - at - 1);
            _count--;
            if (_count < _v4.Length / 4) Array.Resize(ref _v4, _count + _count / 2);   // a peer that saw most of its neighbours leave
        }

        /// <summary>An IPv4 endpoint as one number (address, then port); null for any other, which stays an object
        /// (equal endpoints are equal keys either way: <see cref="IPEndPoint.Equals(object)"/> compares the same two).</summary>
        private static ulong? Key(IPEndPoint endpoint)
        {
            if (endpoint.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return null;
            Span<byte> bytes = stackalloc byte[4];
            endpoint.Address.TryWriteBytes(bytes, out _);
            return (ulong)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes) << 16 | (uint)endpoint.Port;
        }
    }
}
