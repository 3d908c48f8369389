namespace TorrentLab.Downloads;

/// <summary>Where the peer addresses a session learned came from: one count per discovery source.</summary>
/// <param name="Given">Addresses given by the caller (<c>--peer</c>, a magnet link's <c>x.pe</c>).</param>
/// <param name="Tracker">Addresses from tracker announces (BEP 3, BEP 15).</param>
/// <param name="Pex">Addresses from peer exchange (BEP 11).</param>
/// <param name="Dht">Addresses from DHT lookups (BEP 5).</param>
/// <param name="Lsd">Addresses heard by local service discovery (BEP 14).</param>
public sealed record PeerSources(int Given, int Tracker, int Pex, int Dht, int Lsd = 0)
{
    /// <summary>No address learned yet.</summary>
    public static PeerSources None { get; } = new(0, 0, 0, 0);

    /// <summary>One line for a log or a summary, e.g. <c>peers from: tracker 3, dht 2, pex 1, lsd 0, given 0</c>.</summary>
    public override string ToString() => $"peers from: tracker {Tracker}, dht {Dht}, pex {Pex}, lsd {Lsd}, given {Given}";
}

/// <summary>A discovery source, as <see cref="PeerSources"/> counts it.</summary>
public enum PeerSource
{
    /// <summary>Given by the caller.</summary>
    Given,

    /// <summary>A tracker's announce answer.</summary>
    Tracker,

    /// <summary>Peer exchange.</summary>
    Pex,

    /// <summary>A DHT lookup.</summary>
    Dht,

    /// <summary>Local service discovery (BEP 14).</summary>
    Lsd,
}
