using TorrentLab.Wire;

namespace TorrentLab.Magnet;

/// <summary>How <see cref="MetadataFetcher"/> asks peers for a magnet link's info dictionary.</summary>
internal sealed record MetadataFetchOptions
{
    /// <summary>10 MiB: the largest info dictionary accepted. A real one is rarely over 1 MiB (a 20 GiB torrent of 256 KiB
    /// pieces has 1.6 MiB of hashes); the bound keeps a lying <c>metadata_size</c> from costing memory.</summary>
    public int MaxMetadataSize { get; init; } = 10 * 1024 * 1024;

    /// <summary>Peers asked at the same time.</summary>
    public int MaxPeers { get; init; } = 8;

    /// <summary>How long a peer may take to send its extension handshake or answer one request.</summary>
    public TimeSpan PeerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The whole fetch gives up after this long.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Our listen port, announced as <c>p</c> in our extension handshake (null: not listening).</summary>
    public int? ListenPort { get; init; }

    /// <summary>Timeouts and trace of the peer connections (the extension bit is always set).</summary>
    public PeerConnectionOptions Connection { get; init; } = PeerConnectionOptions.Default;

    /// <summary>Receives one line per notable event ("peer 127.0.0.1:6881: rejected piece 0").</summary>
    public Action<string>? Log { get; init; }
}
