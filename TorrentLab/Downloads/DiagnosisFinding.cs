namespace TorrentLab.Downloads;

/// <summary>One thing a torrent's diagnosis found (<see cref="Client.TorrentHandle.Diagnose"/>): a tracker's last answer, a
/// peer tried and what came of it, the DHT's lookups, whether a peer reached us from outside.</summary>
/// <remarks>Made by the diagnosis, read by a program: what it learns later is a new property (the library's rule for
/// public types, docs/library.md).</remarks>
public sealed record DiagnosisFinding
{
    internal DiagnosisFinding(string subject, FindingKind kind, string text, DateTimeOffset at)
    {
        Subject = subject;
        Kind = kind;
        Text = text;
        At = at;
    }

    /// <summary>What it is about: a tracker's URL, a peer's address, <c>dht</c>, <c>port</c>.</summary>
    public string Subject { get; }

    /// <summary>The kind of answer or end, for a program.</summary>
    public FindingKind Kind { get; }

    /// <summary>The same in words, with the tracker's or connection's own reason (untrusted text, cleaned).</summary>
    public string Text { get; }

    /// <summary>When it was seen.</summary>
    public DateTimeOffset At { get; }
}

/// <summary>What a tracker answered, what became of a peer we tried, or what reached us: the kinds a diagnosis tells
/// apart.</summary>
public enum FindingKind
{
    /// <summary>A tracker answered with peers, a peer sent us data, the DHT found peers, a peer reached us.</summary>
    Ok,
    /// <summary>A tracker could not be reached: no connection, a timeout, no answer.</summary>
    TrackerUnreachable,
    /// <summary>A tracker answered with a <c>failure reason</c> (BEP 3) other than an unknown torrent.</summary>
    TrackerRefused,
    /// <summary>A tracker does not know the torrent (its failure reason says unregistered or not found).</summary>
    TrackerUnregistered,
    /// <summary>A tracker answered, with no peer.</summary>
    NoPeers,
    /// <summary>A peer's address could not be connected to (refused, timed out).</summary>
    PeerUnreachable,
    /// <summary>A peer's address is in the session's blocklist: never dialled.</summary>
    Blocklisted,
    /// <summary>A peer's address may not be dialled (unspecified, broadcast, outside the session's scope).</summary>
    AddressRefused,
    /// <summary>A peer connected but was not taken: the peer cap, an address holding more, already connected, us.</summary>
    Refused,
    /// <summary>The connection opened but the handshake failed (another torrent, garbage, closed at once).</summary>
    HandshakeFailed,
    /// <summary>The encrypted handshake (MSE/PE) failed, or the peer wants encryption we do not offer.</summary>
    Encryption,
    /// <summary>A peer kept us choked while we wanted its pieces.</summary>
    ChokedUs,
    /// <summary>A peer has no piece we want.</summary>
    NothingWeWant,
    /// <summary>A peer broke the protocol or sent data failing its hash, and was banned.</summary>
    Banned,
    /// <summary>A peer's connection ended for another reason (given in the text).</summary>
    Disconnected,
    /// <summary>Connected now, and nothing wrong seen yet.</summary>
    Connected,
    /// <summary>Nothing found: the DHT found no peer, no peer reached us yet.</summary>
    Nothing,
}
