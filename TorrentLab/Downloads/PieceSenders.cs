namespace TorrentLab.Downloads;

/// <summary>A peer that sent verified pieces, as the piece map names it.</summary>
/// <remarks>Made by the library, read by a program: what it learns later is a new property (the library's rule for
/// public types, docs/library.md).</remarks>
public sealed record PieceSender
{
    internal PieceSender(string address, string? client)
    {
        Address = address;
        Client = client;
    }

    /// <summary>Its address and port ("127.0.0.1:6881"), or a web seed's URL.</summary>
    public string Address { get; }

    /// <summary>Its client, as its peer id names it ("qBittorrent 4.6.0"); null for a web seed.</summary>
    public string? Client { get; }
}

/// <summary>Who sent each verified piece: a table of peers and, per piece, a row of it (two bytes a piece), marked when
/// the piece's blocks came from more than one peer (the row then names the one that sent most of them).</summary>
public sealed class PieceSenders
{
    private const ushort SeveralBit = 0x8000; // the high bit of a piece's entry: more than one peer sent its blocks

    /// <summary>Rows the table can hold: an entry keeps 1 + the row in 15 bits (0: not known).</summary>
    internal const int MaxPeers = 0x7fff - 1;

    private readonly ushort[] _entries;
    private readonly PieceSender[] _peers;

    internal PieceSenders(ushort[] entries, PieceSender[] peers) => (_entries, _peers) = (entries, peers);

    /// <summary>The peers that sent verified pieces, each once, in the order they first completed one.</summary>
    public IReadOnlyList<PieceSender> Peers => _peers;

    /// <summary>Pieces in the torrent.</summary>
    public int Count => _entries.Length;

    /// <summary>The row of <see cref="Peers"/> that sent piece <paramref name="index"/> (the one that sent most of its
    /// blocks, when several did), or -1 when not known: not verified while this was recorded, or found on disk.</summary>
    public int PeerOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _entries.Length);
        return (_entries[index] & ~SeveralBit) - 1;
    }

    /// <summary>True when piece <paramref name="index"/>'s blocks came from more than one peer.</summary>
    public bool FromSeveral(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _entries.Length);
        return (_entries[index] & SeveralBit) != 0;
    }

    /// <summary>The peer that sent piece <paramref name="index"/>, or null when not known.</summary>
    public PieceSender? this[int index] => PeerOf(index) is var row and >= 0 ? _peers[row] : null;

    /// <summary>One piece's entry: 1 + <paramref name="row"/>, with the mark of several senders.</summary>
    internal static ushort Entry(int row, bool several) => (ushort)((row + 1) | (several ? SeveralBit : 0));

    /// <summary>This record over an <paramref name="earlier"/> one of the same torrent (an earlier run): a piece this
    /// one does not know keeps the earlier sender.</summary>
    internal PieceSenders Over(PieceSenders? earlier)
    {
        if (earlier is null || earlier._entries.Length != _entries.Length) return this;
        var peers = new List<PieceSender>(_peers);
        var rows = new Dictionary<PieceSender, int>();
        for (var r = 0; r < peers.Count; r++) rows.TryAdd(peers[r], r);
        var entries = (ushort[])_entries.Clone();
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i] != 0 || earlier._entries[i] == 0) continue;
            var sender = earlier._peers[earlier.PeerOf(i)];
            if (!rows.TryGetValue(sender, out var row))
            {
                if (peers.Count >= MaxPeers) continue;
                rows[sender] = row = peers.Count;
                peers.Add(sender);
            }
            entries[i] = Entry(row, earlier.FromSeveral(i));
        }
        return new PieceSenders(entries, [.. peers]);
    }
}
