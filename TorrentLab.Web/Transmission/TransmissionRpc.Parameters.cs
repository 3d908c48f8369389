using System.Text.Json;
using static TorrentLab.Web.ApiParameter;

namespace TorrentLab.Web;

// The arguments of the methods that change torrents' settings (rpc-spec 3.2, 3.4; session-set's, 4.1.2, are
// TransmissionSession.Arguments), each applied or refused: a request that names an argument missing here is refused
// whole ("argument not supported"), never answered "success" and dropped.
internal sealed partial class TransmissionRpc
{
    // The tables are properties made at first use: the method table (another file of this class) names them, and static
    // fields of partial files are set in no order a reader can see.
    private static ApiParameter[] FileArguments => field ??=
    [
        Applies("files-wanted", "these files (numbered from 0; [] every file) are downloaded"),
        Applies("files-unwanted", "these files are skipped"),
        Applies("priority-high", "these files get high priority"),
        Applies("priority-normal", "these files get normal priority"),
        Applies("priority-low", "these files get low priority"),
    ];

    /// <summary>torrent-add's arguments (rpc-spec 3.4).</summary>
    internal static IReadOnlyDictionary<string, ApiParameter> AddArguments => field ??= Table(
    [
        Applies("filename", "a magnet link, an http/https URL or a .torrent on the server"),
        Applies("metainfo", "the .torrent in base64"),
        Applies("download-dir", "a folder inside the downloads folder"),
        Applies("paused", "added without starting"),
        Applies("labels", "its labels: the first is its category, the others its tags"),
        Applies("peer-limit", "its own peer limit, 1..1000"),
        Applies("sequentialDownload", "pieces in order, lowest first"),
        Refuses("cookies", "fetching a URL with cookies is not supported: only \"\" is taken"),
        Refuses("bandwidthPriority", "torrents have no bandwidth priority here: only 0 (normal) is taken"),
        .. FileArguments,
    ]);

    /// <summary>torrent-set's arguments (rpc-spec 3.2).</summary>
    internal static IReadOnlyDictionary<string, ApiParameter> SetArguments => field ??= Table(
    [
        Applies("ids", "the torrents changed (every torrent when absent)"),
        Applies("downloadLimit", "its download limit in kB/s"),
        Applies("downloadLimited", "whether its download limit is on"),
        Applies("uploadLimit", "its upload limit in kB/s"),
        Applies("uploadLimited", "whether its upload limit is on"),
        Applies("labels", "its labels: the first is its category, the others its tags"),
        Applies("location", "another folder inside the downloads folder, without moving the data"),
        Applies("peer-limit", "its own peer limit, 1..1000"),
        Applies("queuePosition", "its place in the queue, from 0"),
        Applies("seedRatioLimit", "the ratio at which it stops seeding (0: it does not seed)"),
        Applies("seedRatioMode", "0 the session's ratio, 1 its own, 2 unlimited"),
        Applies("sequentialDownload", "pieces in order, lowest first"),
        Applies("trackerList", "its trackers, one per line, a blank line between tiers"),
        Applies("trackerAdd", "trackers added, each a tier of its own"),
        Applies("trackerRemove", "trackers removed, by id"),
        Applies("trackerReplace", "trackers replaced: [id, url, ...]"),
        Refuses("honorsSessionLimits", "the session's limits always apply: only true is taken"),
        Refuses("bandwidthPriority", "torrents have no bandwidth priority here: only 0 (normal) is taken"),
        Refuses("group", "there are no bandwidth groups here: only \"\" is taken"),
        Applies("seedIdleLimit", "minutes without an upload after which it stops seeding, 1..65535 (given alone: its own limit)"),
        Applies("seedIdleMode", "0 the session's idle limit, 1 its own, 2 unlimited"),
        .. FileArguments,
    ]);
}
