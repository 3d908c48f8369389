using TorrentLab.Wire;

namespace TorrentLab.Downloads;

/// <summary>Where one piece stands, as a piece map shows it.</summary>
public enum PieceState : byte
{
    /// <summary>Not on disk and nobody asked for it yet.</summary>
    Missing = 0,
    /// <summary>Being assembled: some of its blocks are requested from a peer.</summary>
    Requested = 1,
    /// <summary>Passed its SHA-1 check and written.</summary>
    Verified = 2,
    /// <summary>Its last copy failed the SHA-1 check (BEP 3); it will be fetched again.</summary>
    Failed = 3,
}

/// <summary>A compact snapshot of every piece's <see cref="PieceState"/> (one byte per piece), for a live piece map.</summary>
public sealed class PieceStates
{
    private readonly byte[]? _states; // null: every piece verified (a complete torrent's map holds no byte per piece)
    private readonly int _count;
    private readonly byte[]? _availability; // per piece, the connected peers that have it (255 at most); null: not known
    private readonly PieceSenders? _senders; // who sent each verified piece; null: not known
    private readonly IReadOnlyList<PieceMapMoment> _moments = []; // the engine's moments, oldest first

    private PieceStates(byte[] states) => (_states, _count) = (states, states.Length);

    private PieceStates(int allVerified) => _count = allVerified;

    private PieceStates(byte[]? states, int count, byte[]? availability, PieceSenders? senders, IReadOnlyList<PieceMapMoment>? moments = null) =>
        (_states, _count, _availability, _senders, _moments) = (states, count, availability, senders, moments ?? []);

    /// <summary>The moments the running engine changed its mode (end game began, choke decisions, super-seed reveals),
    /// oldest first, the newest few hundred; empty when not known (the torrent does not run, or nothing happened yet).</summary>
    public IReadOnlyList<PieceMapMoment> Moments => _moments;

    /// <summary>The same map with the engine's moments.</summary>
    internal PieceStates WithMoments(IReadOnlyList<PieceMapMoment>? moments) => new(_states, _count, _availability, _senders, moments);

    /// <summary>Who sent each verified piece (a table of peers and a row per piece), as far as this process saw it
    /// arrive; null when not known (a map read from disk, or a torrent that never downloaded here).</summary>
    public PieceSenders? Senders => _senders;

    /// <summary>The same map with who sent each piece (null: not known).</summary>
    /// <exception cref="ArgumentException">Not one entry per piece.</exception>
    internal PieceStates WithSenders(PieceSenders? senders) =>
        senders is null || senders.Count == _count ? new PieceStates(_states, _count, _availability, senders, _moments)
        : throw new ArgumentException($"{senders.Count} senders for {_count} pieces", nameof(senders));

    /// <summary>True when the map says how many connected peers have each piece (the map of a running swarm).</summary>
    public bool HasAvailability => _availability is not null;

    /// <summary>How many connected peers have piece <paramref name="index"/> (255 at most: more read as 255); 0 when
    /// <see cref="HasAvailability"/> is false.</summary>
    public int Availability(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
        return _availability?[index] ?? 0;
    }

    /// <summary>The same map with, per piece, how many connected peers have it (counts over 255 are kept as 255).</summary>
    /// <exception cref="ArgumentException">Not one count per piece, or a negative count.</exception>
    public PieceStates WithAvailability(IReadOnlyList<int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count != _count) throw new ArgumentException($"{counts.Count} counts for {_count} pieces", nameof(counts));
        var bytes = new byte[_count];
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = counts[i] < 0 ? throw new ArgumentException($"a negative count for piece {i}", nameof(counts)) : (byte)Math.Min(counts[i], 255);
        return new PieceStates(_states, _count, bytes, _senders, _moments);
    }

    /// <summary>As <see cref="WithAvailability(IReadOnlyList{int})"/>, taking the swarm's bytes as they are.</summary>
    internal PieceStates WithAvailability(byte[] counts) =>
        counts.Length == _count ? new PieceStates(_states, _count, counts, _senders, _moments) : throw new ArgumentException($"{counts.Length} counts for {_count} pieces", nameof(counts));

    /// <summary>Pieces in the torrent.</summary>
    public int Count => _count;

    /// <summary>The state of piece <paramref name="index"/>.</summary>
    public PieceState this[int index] =>
        _states is not null ? (PieceState)_states[index]
        : (uint)index < (uint)_count ? PieceState.Verified : throw new IndexOutOfRangeException();

    /// <summary>Builds a snapshot. When sources overlap, verified wins over failed, and failed over requested, so a
    /// piece that failed stays visible as failed until a good copy is verified.</summary>
    /// <param name="verified">The have bitfield.</param>
    /// <param name="requested">Pieces being assembled, or null when the engine does not say.</param>
    /// <param name="failed">Pieces whose last copy failed its hash, or null.</param>
    public static PieceStates From(Bitfield verified, IEnumerable<int>? requested = null, IEnumerable<int>? failed = null)
    {
        ArgumentNullException.ThrowIfNull(verified);
        if (verified.IsComplete) return new PieceStates(verified.Length); // verified wins: nothing else shows
        var states = new byte[verified.Length];
        foreach (var i in requested ?? []) if ((uint)i < (uint)states.Length) states[i] = (byte)PieceState.Requested;
        foreach (var i in failed ?? []) if ((uint)i < (uint)states.Length) states[i] = (byte)PieceState.Failed;
        foreach (var i in verified.SetIndexes()) states[i] = (byte)PieceState.Verified;
        return new PieceStates(states);
    }

    /// <summary>Every piece verified: the map of a completed download.</summary>
    public static PieceStates AllVerified(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return new PieceStates(count);
    }

    /// <summary>The pieces in <paramref name="state"/>, in order.</summary>
    public IEnumerable<int> IndexesOf(PieceState state)
    {
        for (var i = 0; i < _count; i++) if ((_states?[i] ?? (byte)PieceState.Verified) == (byte)state) yield return i;
    }

    /// <summary>The verified pieces as a have bitfield.</summary>
    public Bitfield Verified()
    {
        if (_states is null) return Bitfield.Full(_count);
        var have = new Bitfield(_states.Length);
        foreach (var i in IndexesOf(PieceState.Verified)) have.Set(i);
        return have;
    }

    /// <summary>How many pieces are in <paramref name="state"/>.</summary>
    public int CountOf(PieceState state)
    {
        if (_states is null) return state == PieceState.Verified ? _count : 0;
        var count = 0;
        foreach (var s in _states) if (s == (byte)state) count++;
        return count;
    }

    /// <summary>One digit per piece (<c>0</c> missing, <c>1</c> requested, <c>2</c> verified, <c>3</c> failed): the
    /// form the web interface sends to the page.</summary>
    public string ToDigits() => _states is null ? new string((char)('0' + (byte)PieceState.Verified), _count) : string.Create(_states.Length, _states, static (span, states) =>
    {
        for (var i = 0; i < states.Length; i++) span[i] = (char)('0' + states[i]);
    });
}
