namespace TorrentLab.Downloads;

/// <summary>Which engine runs a download.</summary>
public enum DownloadEngine
{
    /// <summary>The reference story when <see cref="DownloadOptions.MaxPeers"/> is 1, else the swarm engine.</summary>
    Auto,

    /// <summary>The single-peer reference story (<c>Reference/ReferenceDownload.cs</c>): one peer at a time, no upload.</summary>
    Reference,

    /// <summary>The swarm engine (<c>Swarm/SwarmDownload.cs</c>): many peers, uploads, optional seeding afterwards.</summary>
    Swarm,
}
