using System.Text.Json;
using static TorrentLab.Web.ApiParameter;

namespace TorrentLab.Web;

// session-set's arguments (rpc-spec 4.1.2), each applied or refused: a request that names an argument missing here is
// refused whole ("argument not supported"), never answered "success" and dropped.
internal sealed partial class TransmissionSession
{
    /// <summary>session-get's keys that session-set takes only unchanged.</summary>
    private static readonly string[] AsItIs =
    [
        "download-dir", "download-queue-enabled", "seed-queue-enabled", "seed-queue-size", "queue-stalled-enabled",
        "queue-stalled-minutes", "peer-port", "peer-port-random-on-start",
        "port-forwarding-enabled", "peer-limit-global", "peer-limit-per-torrent", "dht-enabled", "pex-enabled", "lpd-enabled",
        "utp-enabled", "encryption", "cache-size-mb", "incomplete-dir",
        "incomplete-dir-enabled", "rename-partial-files", "script-torrent-done-seeding-enabled",
        "script-torrent-done-seeding-filename", "trash-original-torrent-files", "default-trackers",
    ];

    /// <summary>session-set's arguments (rpc-spec 4.1.2): those TorrentLab applies, and every other key of session-get,
    /// taken only with the value session-get answers (the setting as it is), else refused.</summary>
    internal static readonly IReadOnlyDictionary<string, ApiParameter> Arguments = Table(
    [
        Applies("speed-limit-down", "the global download limit in kB/s"),
        Applies("speed-limit-down-enabled", "whether it is on"),
        Applies("speed-limit-up", "the global upload limit in kB/s"),
        Applies("speed-limit-up-enabled", "whether it is on"),
        Applies("alt-speed-down", "turtle mode's download limit in kB/s (at least 1)"),
        Applies("alt-speed-up", "turtle mode's upload limit in kB/s (at least 1)"),
        Applies("alt-speed-enabled", "turtle mode on or off"),
        Applies("alt-speed-time-enabled", "turtle mode by schedule"),
        Applies("alt-speed-time-begin", "its start, minutes after midnight"),
        Applies("alt-speed-time-end", "its end, minutes after midnight"),
        Applies("alt-speed-time-day", "its days, a bit per day from Sunday"),
        Applies("download-queue-size", "how many torrents download at once, 1..1000"),
        Applies("seedRatioLimit", "the default seed ratio (0: torrents do not seed)"),
        Applies("seedRatioLimited", "whether the default seed ratio is on"),
        Applies("idle-seeding-limit", "the default idle limit: minutes without an upload after which a torrent stops seeding, 1..65535"),
        Applies("idle-seeding-limit-enabled", "whether the default idle limit is on"),
        Applies("start-added-torrents", "whether added torrents start"),
        Applies("blocklist-url", "the blocklist's http(s) URL or a file's absolute path on the server, read at once"),
        Applies("blocklist-enabled", "whether no peer in the blocklist's ranges is dialled or accepted"),
        Applies("script-torrent-added-filename", "the script run when a torrent is added (its path; run without a shell, with the TR_* variables)"),
        Applies("script-torrent-added-enabled", "whether it runs"),
        Applies("script-torrent-done-filename", "the script run when a torrent completes (as the added one)"),
        Applies("script-torrent-done-enabled", "whether it runs"),
        .. AsItIs.Select(key => Refuses(key, key switch
        {
            "download-dir" => "the server's downloads folder is set where it starts; a torrent's own folder inside it is torrent-add's download-dir or torrent-set-location",
            "peer-port" => "the peer port is set where the server starts (torrentlab serve --peer-port)",
            "port-forwarding-enabled" => "port mapping is set where the server starts (torrentlab serve --port-mapping or --no-port-mapping)",
            _ => "set where the server starts, or a feature TorrentLab lacks: only the value session-get answers is taken",
        })),
    ]);

    /// <summary>Refuses a session-set whose key of <see cref="AsItIs"/> asks for another value than session-get
    /// answers for it.</summary>
    private void RequireAsItIs(JsonElement args)
    {
        foreach (var key in AsItIs)
        {
            if (!args.TryGetProperty(key, out var given)) continue;
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                Write(JsonDocument.Parse($"{{\"fields\": [\"{key}\"]}}").RootElement, writer);
                writer.WriteEndObject();
            }
            using var current = JsonDocument.Parse(buffer.WrittenMemory);
            var now = current.RootElement.GetProperty(key);
            if (!SameValue(given, now))
                throw TransmissionRpc.Unsupported($"{key} cannot be changed here: {Arguments[key].Meaning} (it is {now.GetRawText()})");
        }
    }

    /// <summary>Whether a value a client sent asks for the value <paramref name="now"/> (booleans may come as 0/1 or text).</summary>
    private static bool SameValue(JsonElement given, JsonElement now) => now.ValueKind switch
    {
        JsonValueKind.True or JsonValueKind.False => ApiParameter.BoolOf(given) == (now.ValueKind == JsonValueKind.True),
        JsonValueKind.Number => given.ValueKind == JsonValueKind.Number && given.GetDouble() == now.GetDouble()
            || given.ValueKind == JsonValueKind.String && double.TryParse(given.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var d) && d == now.GetDouble(),
        JsonValueKind.String => given.ValueKind == JsonValueKind.String
            && (given.GetString() == now.GetString() || System.IO.Path.TrimEndingDirectorySeparator(given.GetString()!) == System.IO.Path.TrimEndingDirectorySeparator(now.GetString()!)),
        _ => false,
    };

}
