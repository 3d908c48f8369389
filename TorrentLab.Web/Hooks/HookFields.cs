using System.Globalization;
using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>What a hook is told of a torrent: qBittorrent's placeholders, Transmission's environment variables and the
/// webhook's JSON, all from these fields.</summary>
/// <param name="Event">added, metadata, completed or error.</param>
/// <param name="Name">Its name (a name given through qBittorrent's rename, else the .torrent's).</param>
/// <param name="Category">Its category ("" none).</param>
/// <param name="Tags">Its tags.</param>
/// <param name="SavePath">Its save folder, absolute.</param>
/// <param name="ContentPath">Its file (a one-file torrent) or top folder, absolute.</param>
/// <param name="RootPath">Its top folder, absolute; "" for a one-file torrent (qBittorrent's <c>%R</c>).</param>
/// <param name="Files">How many files it has (pad files left out).</param>
/// <param name="Size">Its payload in bytes.</param>
/// <param name="Tracker">The tracker it announces to first ("" none).</param>
/// <param name="Trackers">Every announce URL.</param>
/// <param name="HashV1">Its BEP 3 info hash, or null for a v2-only torrent.</param>
/// <param name="HashV2">Its BEP 52 info hash, or null for a v1-only torrent.</param>
/// <param name="Id">Its id in every API (the v1 info hash, or a v2-only torrent's first 20 bytes).</param>
/// <param name="TransmissionId">Its id in the Transmission RPC.</param>
/// <param name="Downloaded">Bytes it downloaded, over every run.</param>
/// <param name="Time">When it happened.</param>
/// <param name="Error">Why it failed (an error event), else null.</param>
internal sealed record HookFields(string Event, string Name, string Category, IReadOnlyList<string> Tags, string SavePath,
    string ContentPath, string RootPath, int Files, long Size, string Tracker, IReadOnlyList<string> Trackers, string? HashV1,
    string? HashV2, string Id, int TransmissionId, long Downloaded, DateTimeOffset Time, string? Error)
{
    /// <summary>qBittorrent's placeholders (its "Run external program" dialog): the value of <c>%</c> followed by
    /// <paramref name="letter"/>, or null for a letter that is none. Hashes a torrent lacks are "-", as there.</summary>
    public string? Placeholder(char letter) => letter switch
    {
        'N' => Name,
        'L' => Category,
        'G' => string.Join(',', Tags),
        'F' => ContentPath,
        'R' => RootPath,
        'D' => SavePath,
        'C' => Files.ToString(CultureInfo.InvariantCulture),
        'Z' => Size.ToString(CultureInfo.InvariantCulture),
        'T' => Tracker,
        'I' => HashV1 ?? "-",
        'J' => HashV2 ?? "-",
        'K' => Id,
        _ => null,
    };

    /// <summary>transmission-daemon's environment of a torrent script (its <c>tr_torrent_script</c> variables).</summary>
    public IReadOnlyDictionary<string, string> Environment(string appVersion) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["TR_APP_VERSION"] = appVersion,
        // ctime's form, in the server's local time zone, as Transmission writes it.
        ["TR_TIME_LOCALTIME"] = Time.ToLocalTime().ToString("ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture),
        ["TR_TORRENT_DIR"] = SavePath,
        ["TR_TORRENT_HASH"] = HashV1 ?? HashV2 ?? Id,
        ["TR_TORRENT_ID"] = TransmissionId.ToString(CultureInfo.InvariantCulture),
        ["TR_TORRENT_NAME"] = Name,
        // Transmission's labels here: the category first, then the tags (as the RPC's labels).
        ["TR_TORRENT_LABELS"] = string.Join(',', (Category.Length > 0 ? [Category] : Array.Empty<string>()).Concat(Tags)),
        ["TR_TORRENT_BYTES_DOWNLOADED"] = Downloaded.ToString(CultureInfo.InvariantCulture),
        ["TR_TORRENT_TRACKERS"] = string.Join(',', Trackers),
    };

    /// <summary>The webhook's body: <c>{event, hash, name, category, tags, savePath, contentPath, size, files, tracker,
    /// time, error?}</c>.</summary>
    public byte[] Json()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("event", Event);
            w.WriteString("hash", Id);
            if (HashV2 is not null) w.WriteString("hashV2", HashV2);
            w.WriteString("name", Name);
            w.WriteString("category", Category);
            w.WriteStartArray("tags");
            foreach (var tag in Tags) w.WriteStringValue(tag);
            w.WriteEndArray();
            w.WriteString("savePath", SavePath);
            w.WriteString("contentPath", ContentPath);
            w.WriteNumber("size", Size);
            w.WriteNumber("files", Files);
            w.WriteString("tracker", Tracker);
            w.WriteString("time", Time);
            if (Error is not null) w.WriteString("error", Error);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
