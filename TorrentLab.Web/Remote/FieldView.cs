namespace TorrentLab.Web;

/// <summary>What a field's value may need beside its torrent: the server's list (folders, the queue, the defaults), the
/// per-torrent connection cap it falls back to, and Transmission's numeric ids (null for the qBittorrent API, which
/// names a torrent by its info hash).</summary>
internal sealed record FieldSource(TorrentManager Torrents, int MaxPeers, TransmissionIds? Ids = null);

/// <summary>One torrent's figures for one request, each read once and shared by the fields that need them: the summary
/// (which takes the torrent's lock), its files, wanted bytes, folder, connected peers and tracker answers.</summary>
internal sealed class FieldView(ManagedTorrent torrent, TorrentSummary summary, FieldSource source)
{
    private FileEntry[]? _files;
    private long? _wanted;
    private string? _folder;
    private IReadOnlyList<PeerDetails>? _peers;
    private List<TrackerAnnounce>? _answered;

    public ManagedTorrent Torrent { get; } = torrent;
    public FieldSource Source { get; } = source;

    /// <summary>The torrent's row of the REST API (<see cref="ManagedTorrent.Summary(long)"/>), read once for the request.</summary>
    public TorrentSummary Summary { get; } = summary;

    public FileEntry[] Files => _files ??= Torrent.Files();

    /// <summary>Bytes of the files it downloads (all but the skipped ones).</summary>
    public long Wanted => _wanted ??= Torrent.WantedBytes;

    /// <summary>Wanted bytes it does not hold yet.</summary>
    public long Left => Math.Max(0, Wanted - Summary.BytesDone);

    /// <summary>The absolute path of its save folder.</summary>
    public string Folder => _folder ??= Source.Torrents.FolderOf(Torrent);

    /// <summary>The peers connected now; read only while the summary counts some (reading them notes a complete copy
    /// seen, <see cref="ManagedTorrent.SeenComplete"/>).</summary>
    public IReadOnlyList<PeerDetails> Peers => _peers ??= Summary.Peers > 0 ? Torrent.PeersNow() : [];

    /// <summary>Connected peers that have every piece.</summary>
    public int Seeds => Peers.Count(p => p.Progress >= 1);

    /// <summary>Its trackers' last announces that were answered.</summary>
    public List<TrackerAnnounce> Answered => _answered ??= [.. Torrent.Announces.Values.Where(a => a.Succeeded)];

    /// <summary>Its Transmission id; only the Transmission RPC asks.</summary>
    public int TransmissionId => (Source.Ids ?? throw new InvalidOperationException("a Transmission id asked outside the Transmission RPC")).IdOf(Torrent);
}
