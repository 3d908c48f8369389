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
    private readonly Dictionary<IPEndPoint, PexFlags> _pendingAdded = [];
    private readonly List<IPEndPoint> _addedOrder = [];
    private readonly HashSet<IPEndPoint> _pendingDropped = [];
    private readonly HashSet<IPEndPoint> _announced = [];
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
            if (_pendingDropped.Remove(peer.EndPoint) || _announced.Contains(peer.EndPoint)) return;   // back before we said it left
            if (_pendingAdded.TryGetValue(peer.EndPoint, out var flags)) _pendingAdded[peer.EndPoint] = flags | peer.Flags; // learned more of it
            else if (_pendingAdded.TryAdd(peer.EndPoint, peer.Flags)) _addedOrder.Add(peer.EndPoint);
        }
    }

    /// <summary>A peer left the torrent; it goes into the next message's <c>dropped</c> if the remote heard of it.</summary>
    public void PeerDropped(IPEndPoint peer)
    {
        lock (_lock)
        {
            if (_pendingAdded.Remove(peer)) _addedOrder.Remove(peer);
            else if (_announced.Contains(peer)) _pendingDropped.Add(peer);
        }
    }

    /// <summary>The next message, if one is due (first message, or a minute since the last) and has something to say.</summary>
    public bool TryCreateMessage(out PexMessage message)
    {
        message = new PexMessage();
        if (!Enabled) return false;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_lastSent is { } last && now - last < MinInterval) return false;
            if (_pendingAdded.Count == 0 && _pendingDropped.Count == 0) return false;

            var added = _addedOrder.Take(_lastSent is null ? MaxInitialAdded : MaxEntries).ToList();
            var dropped = _pendingDropped.Take(MaxEntries).ToList();
            var peers = added.Select(p => new PexPeer(p, _pendingAdded[p])).ToList();
            foreach (var p in added)
            {
                _pendingAdded.Remove(p);
                _announced.Add(p);
            }
            _addedOrder.RemoveRange(0, added.Count);
            foreach (var p in dropped)
            {
                _pendingDropped.Remove(p);
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
}
