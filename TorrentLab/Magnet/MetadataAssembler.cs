using System.Net;
using TorrentLab.Extensions;
using TorrentLab.Metainfo;

namespace TorrentLab.Magnet;

/// <summary>Collects the 16 KiB pieces of an info dictionary from several peers and checks the whole against the
/// info hash (BEP 9): the shared state of a <see cref="MetadataFetcher"/>.</summary>
/// <remarks>
/// BEP 9 gives no per-piece hash: only the complete metadata can be checked. So when the SHA-1 does not match:
/// if one peer sent every piece, that peer is banned; if several did, nobody can be blamed yet, and the next
/// attempt takes every piece from a single peer (one at a time), so the next mismatch names its sender.
/// The size of an attempt comes from the first peer that announces one; a peer announcing another size waits. The
/// size is only as good as the peers that vouch for it: a peer whose own answers contradict the size it announced
/// (a <c>total_size</c> or piece length that disagrees) is banned for the fetch, and once no peer that announced the
/// attempt's size is left, the attempt is dropped and the next announcer's size starts a new one. So one peer that
/// under- or over-states <c>metadata_size</c> costs its own connection, never the fetch. Thread-safe.
/// </remarks>
internal sealed class MetadataAssembler
{
    private readonly Lock _lock = new();
    private readonly InfoHash _infoHash;
    private readonly int _maxSize;
    private readonly HashSet<IPEndPoint> _banned = [];
    private readonly Dictionary<int, IPEndPoint> _assigned = [];
    private readonly HashSet<IPEndPoint> _vouchers = [];   // peers that announced the size of this attempt
    private byte[]? _buffer;
    private IPEndPoint?[] _sources = [];
    private bool _singleSource;
    private IPEndPoint? _owner;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="infoHash">The link's 20-byte info hash (for a v2-only link, the truncated v2 hash).</param>
    /// <param name="maxSize">The largest metadata accepted.</param>
    /// <param name="infoHashV2">The link's BEP 52 SHA-256 info hash, when it has one: then the metadata must hash to it.</param>
    /// <param name="v2Only">A link with only <c>urn:btmh:</c>: there is no SHA-1 to check.</param>
    public MetadataAssembler(InfoHash infoHash, int maxSize, InfoHashV2? infoHashV2 = null, bool v2Only = false)
    {
        _infoHash = infoHash;
        _maxSize = maxSize;
        _infoHashV2 = infoHashV2;
        _v2Only = v2Only && infoHashV2 is not null;
    }

    private readonly InfoHashV2? _infoHashV2;
    private readonly bool _v2Only;

    /// <summary>True when <paramref name="rawInfo"/> is the link's info dictionary: its SHA-1 is the v1 hash, and its
    /// SHA-256 the v2 hash when the link names one (BEP 52: a v2-only link is checked by SHA-256 alone).</summary>
    public static bool Matches(ReadOnlySpan<byte> rawInfo, InfoHash infoHash, InfoHashV2? infoHashV2, bool v2Only) =>
        (infoHashV2 is not { } v2 || InfoHashV2.Compute(rawInfo) == v2) && ((v2Only && infoHashV2 is not null) || InfoHash.Compute(rawInfo) == infoHash);

    /// <summary>The verified info dictionary, once complete.</summary>
    public byte[]? Result { get; private set; }

    /// <summary>Completes when something changed (a piece freed, an attempt reset, the result found): waiting workers
    /// look again.</summary>
    public Task Changed { get { lock (_lock) return _changed.Task; } }

    /// <summary>Hash mismatches seen so far.</summary>
    public int Mismatches { get; private set; }

    public bool IsBanned(IPEndPoint peer) { lock (_lock) return _banned.Contains(peer); }

    /// <summary>The next piece <paramref name="peer"/> should request, or null when it has nothing to do now.</summary>
    /// <exception cref="ExtensionException">The peer's <paramref name="announcedSize"/> is impossible or over the limit.</exception>
    public int? Next(IPEndPoint peer, long announcedSize)
    {
        // Bound what we accept before allocating: a peer could announce gigabytes.
        if (announcedSize <= 0 || announcedSize > _maxSize)
            throw new ExtensionException($"metadata_size {announcedSize} is outside 1..{_maxSize} bytes");
        lock (_lock)
        {
            if (Result is not null || _banned.Contains(peer)) return null;
            _buffer ??= new byte[announcedSize];
            if (_sources.Length == 0) _sources = new IPEndPoint?[MetadataMessage.PieceCount(announcedSize)];
            if (_buffer.Length != announcedSize) return null;   // disagrees with the size of this attempt
            _vouchers.Add(peer);
            if (_singleSource)
            {
                _owner ??= peer;
                if (!_owner.Equals(peer)) return null;
            }
            for (var piece = 0; piece < _sources.Length; piece++)
            {
                if (_sources[piece] is not null || _assigned.ContainsKey(piece)) continue;
                _assigned[piece] = peer;
                return piece;
            }
            return null;
        }
    }

    /// <summary>Stores a data message from <paramref name="peer"/>; when it completes the metadata, checks the SHA-1.</summary>
    /// <returns>The peer banned by a mismatch, if one could be blamed; null otherwise.</returns>
    /// <remarks>Data for a piece not assigned to <paramref name="peer"/> (a late answer after an attempt was reset) is
    /// dropped: it cannot be placed in the new attempt.</remarks>
    /// <exception cref="ExtensionException">The piece breaks BEP 9 (wrong size, wrong total).</exception>
    public IPEndPoint? Deliver(IPEndPoint peer, in MetadataMessage data)
    {
        lock (_lock)
        {
            if (!_assigned.TryGetValue(data.Piece, out var assignee) || !assignee.Equals(peer)) return null;
            _assigned.Remove(data.Piece);
            // The size of this attempt is what the peer announced: an answer that contradicts it shows the peer lied in
            // one of the two. It is banned for the fetch (Release then drops an attempt nobody vouches for any more).
            if (_buffer is null || data.TotalSize != _buffer.Length)
                throw Contradicts(peer, $"ut_metadata total_size {data.TotalSize} differs from metadata_size {_buffer?.Length}, which it announced");
            var start = data.Piece * MetadataMessage.PieceLength;
            var expected = Math.Min(MetadataMessage.PieceLength, _buffer.Length - start);
            // BEP 9: "If it is not the last piece of the metadata, it MUST be 16kiB."
            if (data.Data.Length != expected)
                throw Contradicts(peer, $"ut_metadata piece {data.Piece} has {data.Data.Length} bytes, expected {expected}");
            data.Data.Span.CopyTo(_buffer.AsSpan(start));
            _sources[data.Piece] = peer;
            return _sources.All(s => s is not null) ? Verify() : null;
        }
    }

    /// <summary>Frees the pieces assigned to a peer that left or rejected them; when no peer that announced this
    /// attempt's size is left, drops the attempt, so peers that announced another size can start one.</summary>
    public void Release(IPEndPoint peer)
    {
        lock (_lock)
        {
            foreach (var piece in _assigned.Where(p => p.Value.Equals(peer)).Select(p => p.Key).ToList()) _assigned.Remove(piece);
            _vouchers.Remove(peer);
            if (peer.Equals(_owner))
            {
                _owner = null;
                if (Result is null) ResetAttempt();   // its partial pieces cannot be blamed on anyone else
            }
            else if (Result is null && _buffer is not null && _vouchers.Count == 0)
            {
                ResetAttempt();   // nobody left who announced this size: it may have been a lie, and no one can finish it
            }
            Signal();
        }
    }

    /// <summary>Bans <paramref name="peer"/> for the fetch (its answers contradict what it announced) and returns the
    /// exception that ends its worker.</summary>
    private ExtensionException Contradicts(IPEndPoint peer, string why)
    {
        _banned.Add(peer);
        return new ExtensionException($"{why}; banned for this fetch");
    }

    private IPEndPoint? Verify()
    {
        // BEP 9: the metadata "can be validated by the info-hash".
        if (Matches(_buffer, _infoHash, _infoHashV2, _v2Only))
        {
            Result = _buffer;
            Signal();
            return null;
        }
        Mismatches++;
        var senders = _sources.Distinct().ToList();
        IPEndPoint? banned = null;
        if (senders.Count == 1)
        {
            banned = senders[0]!;
            _banned.Add(banned);
        }
        _singleSource = true;   // from now on one peer per attempt, so the next mismatch names its sender
        _owner = null;
        ResetAttempt();
        Signal();
        return banned;
    }

    private void ResetAttempt()
    {
        _vouchers.Clear();
        _buffer = null;
        _sources = [];
        _assigned.Clear();
    }

    private void Signal()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }
}
