namespace TorrentLab.Extensions;

/// <summary>Every BEP 10 extension TorrentLab speaks, in one list: the swarm routes what a peer sends through it, our
/// handshake offers what it lists, and the magnet fetcher, the classroom commands and the lab take names and ids from it.</summary>
/// <remarks>
/// A new extension is one file implementing <see cref="IExtension"/> and one line in <see cref="All"/> (plus a field
/// here only if another part must name it). BEP 10: "The extension message IDs are the IDs used to send the extension
/// messages to the peer sending this handshake", i.e. each side picks its own ids. A peer sends to us with the ids
/// listed here; we send to a peer with the ids from its handshake.
/// </remarks>
internal static class ExtensionRegistry
{
    /// <summary>BEP 9 metadata exchange.</summary>
    public static readonly MetadataExtension UtMetadata = new();

    /// <summary>BEP 11 peer exchange.</summary>
    public static readonly PexExtension UtPex = new();

    /// <summary>BEP 54: the sender no longer has a piece it announced.</summary>
    public static readonly DontHaveExtension LtDonthave = new();

    /// <summary>BEP 55: holepunch introductions.</summary>
    public static readonly HolepunchExtension UtHolepunch = new();

    /// <summary>BEP 21: the sender wants nothing more (a handshake key).</summary>
    public static readonly UploadOnlyExtension UploadOnly = new();

    /// <summary>The extensions, in the order their handshake hooks run (after the swarm took the handshake's own facts,
    /// <c>yourip</c> and <c>p</c>: PEX names the peer by its listen port).</summary>
    public static readonly IReadOnlyList<IExtension> All = [UploadOnly, UtMetadata, UtPex, LtDonthave, UtHolepunch, new TrackerExchangeExtension()];

    private static readonly Dictionary<string, IExtension> ByName = All.ToDictionary(e => e.Name, StringComparer.Ordinal);

    // What our handshake's m offers (shared: a handshake never changes them).
    private static readonly Dictionary<string, byte> OfferedPrivate = Offer(privateTorrent: true);
    private static readonly Dictionary<string, byte> OfferedPublic = Offer(privateTorrent: false);

    /// <summary>The extension named <paramref name="name"/>, or null for one we do not speak.</summary>
    public static IExtension? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Our <c>m</c>: each message extension under its id; with <paramref name="pex"/> false, only those a
    /// private torrent offers (BEP 27), as the magnet fetcher and the classroom also offer before they know.</summary>
    public static IReadOnlyDictionary<string, byte> Offered(bool pex) => pex ? OfferedPublic : OfferedPrivate;

    private static Dictionary<string, byte> Offer(bool privateTorrent) =>
        All.Where(e => e.Id != 0 && (e.OnPrivateTorrents || !privateTorrent)).ToDictionary(e => e.Name, e => e.Id, StringComparer.Ordinal);
}
