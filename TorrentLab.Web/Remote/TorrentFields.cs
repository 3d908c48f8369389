using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>What moves a field's value: whether a row written at one <see cref="ManagedTorrent.Version"/> and one
/// <see cref="TorrentManager.Changes"/> still says the truth while both hold.</summary>
internal enum Moves
{
    /// <summary>Only the torrent's version or the list's changes move it (or nothing does: a constant, the .torrent's
    /// own metadata). Transmission keeps the rows of a field list made only of these (<see cref="TransmissionRows"/>).</summary>
    WithVersion,

    /// <summary>The clock moves it too, while the torrent runs (the seconds it has downloaded, seeded): a seeding torrent
    /// with no peer keeps its version for hours. Never kept for Transmission; sync/maindata does not send a torrent for
    /// these alone, they go with its next other change (<see cref="TorrentRow.MovedOnlyWithTheClock"/>), as
    /// qbittorrent-nox's do.</summary>
    WithClock,

    /// <summary>No such claim is made (the peers' table, the trackers' answers, files read again): written at every
    /// request of a field list that holds it.</summary>
    Unmarked,
}

/// <summary>One field of a torrent as the remote APIs give it, defined once: what moves it, its name in the REST API
/// (the <see cref="TorrentSummary"/> property that carries it, or null), in Transmission's <c>torrent-get</c>, in
/// qBittorrent's <c>torrents/info</c> and <c>sync/maindata</c> and in its <c>torrents/properties</c>
/// (<see cref="Properties"/>; null where that API has no such field), and its value.
/// Where an API's unit or "none" differs (kB/s against bytes/s, -1 against 0 for a moment that never came, a status
/// code against a state string), that API's conversion of <see cref="Value"/> says so.</summary>
/// <param name="Moves">What moves its value.</param>
/// <param name="Rest">The camelCase JSON name of the <see cref="TorrentSummary"/> property with this value.</param>
/// <param name="Transmission">rpc-spec 3.3's name.</param>
/// <param name="QBittorrent">qBittorrent's <c>torrents/info</c> key.</param>
/// <param name="Value">The value, shared by the APIs unless one converts it.</param>
internal sealed record TorrentField(Moves Moves, string? Rest, string? Transmission, string? QBittorrent, Func<FieldView, FieldValue> Value)
{
    /// <summary>Transmission's value from <see cref="Value"/>, when its unit or encoding differs.</summary>
    public Func<FieldView, FieldValue, FieldValue>? InTransmission { get; init; }

    /// <summary>qBittorrent's value from <see cref="Value"/>, when its unit or encoding differs.</summary>
    public Func<FieldView, FieldValue, FieldValue>? InQBittorrent { get; init; }

    /// <summary>qBittorrent's <c>torrents/properties</c> key: that route names most fields apart from
    /// <c>torrents/info</c> (<c>dl_speed</c> against <c>dlspeed</c>), and gives a few of its own.</summary>
    public string? Properties { get; init; }

    /// <summary><c>torrents/properties</c>' value from <see cref="Value"/>, when it differs from <c>torrents/info</c>'s
    /// (a limit's "none" -1 against 0); else <see cref="InQBittorrent"/>'s.</summary>
    public Func<FieldView, FieldValue, FieldValue>? InProperties { get; init; }

    /// <summary>Transmission's arrays and objects (files, trackers, peers), written whole instead of <see cref="Value"/>.</summary>
    public Action<Utf8JsonWriter, FieldView>? WriteTransmission { get; init; }

    /// <summary>Its Prometheus metric at <c>GET /metrics</c>, one series per torrent (<see cref="ServerMetrics"/>), or null.</summary>
    public FieldMetric? Metric { get; init; }

    /// <summary>The qBittorrent key, escaped once.</summary>
    public JsonEncodedText QBittorrentKey { get; } = QBittorrent is null ? default : JsonEncodedText.Encode(QBittorrent);

    /// <summary>Writes the field's value as Transmission gives it.</summary>
    public void WriteTransmissionValue(Utf8JsonWriter w, FieldView v)
    {
        if (WriteTransmission is { } write) write(w, v);
        else (InTransmission is { } convert ? convert(v, Value(v)) : Value(v)).WriteTo(w);
    }

    /// <summary>Writes the field's value as qBittorrent gives it.</summary>
    public void WriteQBittorrentValue(Utf8JsonWriter w, FieldView v) =>
        (InQBittorrent is { } convert ? convert(v, Value(v)) : Value(v)).WriteTo(w);

    /// <summary>Writes the field's value as qBittorrent's <c>torrents/properties</c> gives it.</summary>
    public void WritePropertiesValue(Utf8JsonWriter w, FieldView v) =>
        ((InProperties ?? InQBittorrent) is { } convert ? convert(v, Value(v)) : Value(v)).WriteTo(w);
}

/// <summary>A field's Prometheus metric: its name (<c>torrentlab_torrent_</c>, then what it counts and its unit, as
/// Prometheus' naming rules ask), its help line, and whether it only grows (a counter, named <c>..._total</c>) or moves
/// both ways (a gauge).</summary>
internal sealed record FieldMetric(string Name, string Help, bool Counter = false);

/// <summary>Every field of a torrent the remote APIs serve, one row each (<see cref="TorrentField"/>): a new field is
/// one row here, and what moves it decides at once whether Transmission keeps rows holding it and whether sync/maindata
/// sends it alone. The rows are in <c>TorrentFields.Progress.cs</c> (state, sizes, transfer, peers, times) and
/// <c>TorrentFields.Settings.cs</c> (limits, seeding, queue, labels, trackers, files, metadata).</summary>
internal static partial class TorrentFields
{
    /// <summary>qBittorrent's ETA for "not known": 100 days in seconds (its MAX_ETA).</summary>
    public const long QBittorrentUnknownEta = 8_640_000;

    /// <summary>Every row.</summary>
    public static readonly TorrentField[] All = [.. Progress(), .. Settings()];

    /// <summary>The rows Transmission names, by that name.</summary>
    public static readonly IReadOnlyDictionary<string, TorrentField> ByTransmissionName =
        All.Where(f => f.Transmission is not null).ToDictionary(f => f.Transmission!, StringComparer.Ordinal);

    /// <summary>The rows of qBittorrent's <c>torrents/info</c>, in its order: by key, as qBittorrent writes a QVariantMap.</summary>
    public static readonly TorrentField[] QBittorrentRow = [.. All.Where(f => f.QBittorrent is not null).OrderBy(f => f.QBittorrent, StringComparer.Ordinal)];

    /// <summary>The rows of qBittorrent's <c>torrents/properties</c>, in its order: by key, as it writes a QJsonObject.</summary>
    public static readonly TorrentField[] QBittorrentProperties = [.. All.Where(f => f.Properties is not null).OrderBy(f => f.Properties, StringComparer.Ordinal)];

    /// <summary>Per field of <see cref="QBittorrentRow"/>: whether the clock moves it.</summary>
    public static readonly bool[] QBittorrentClock = [.. QBittorrentRow.Select(f => f.Moves == Moves.WithClock)];

    /// <summary>Transmission's field names whose rows may be kept between polls: those that move only with the
    /// torrent's version or the list's changes.</summary>
    public static readonly IReadOnlySet<string> TransmissionKept =
        All.Where(f => f.Transmission is not null && f.Moves == Moves.WithVersion).Select(f => f.Transmission!).ToHashSet(StringComparer.Ordinal);

    /// <summary>rpc-spec 3.3: "tr_stat.status": what each state of the list is in Transmission's terms.</summary>
    internal enum TransmissionStatus { Stopped = 0, CheckWait = 1, Check = 2, DownloadWait = 3, Download = 4, SeedWait = 5, Seed = 6 }

    /// <summary>The torrent's state as Transmission's status code.</summary>
    internal static TransmissionStatus StatusOf(TorrentSummary summary) => summary.State switch
    {
        "downloading" => TransmissionStatus.Download,
        "seeding" => TransmissionStatus.Seed,
        "checking" => TransmissionStatus.Check,
        "queued" => summary.PiecesDone == summary.PieceCount ? TransmissionStatus.SeedWait : TransmissionStatus.DownloadWait,
        _ => TransmissionStatus.Stopped, // paused, completed and failed
    };

    /// <summary>qBittorrent 4.x's torrent states (the v5 names stoppedDL/stoppedUP would mislead 4.x clients).</summary>
    internal static string StateOf(TorrentSummary s)
    {
        var complete = s.PiecesDone == s.PieceCount || s.Progress >= 1;
        return s.State switch
        {
            "downloading" => s.Stalled ? "stalledDL" : "downloading",
            "seeding" => s.UploadRate > 0 ? "uploading" : "stalledUP",
            "queued" => complete ? "queuedUP" : "queuedDL",
            "checking" => complete ? "checkingUP" : "checkingDL",
            "moving" => "moving",
            "failed" => "error",
            "completed" => "pausedUP",
            _ => complete ? "pausedUP" : "pausedDL",
        };
    }
}
