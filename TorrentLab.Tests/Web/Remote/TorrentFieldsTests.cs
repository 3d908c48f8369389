using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.Transmission;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Remote;

/// <summary>The one table of a torrent's fields (<see cref="TorrentFields"/>): each name once per API, qBittorrent's
/// rows and torrents/properties' in its order, REST names that the REST API has; what a row says moves it is what moves it (a field said to move
/// only with the torrent's version holds still while the clock runs, and a clock field is never served from a kept
/// row); and a field of the table is in all three APIs at once.</summary>
public class TorrentFieldsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void EveryRow_HasAName_AndEachNameIsOncePerApi()
    {
        Assert.All(TorrentFields.All, f => Assert.True((f.Rest ?? f.Transmission ?? f.QBittorrent ?? f.Properties) is not null, "a row with no API's name"));
        foreach (var names in new[] { TorrentFields.All.Select(f => f.Rest), TorrentFields.All.Select(f => f.Transmission), TorrentFields.All.Select(f => f.QBittorrent), TorrentFields.All.Select(f => f.Properties) })
        {
            var twice = names.OfType<string>().GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"named by two rows: {string.Join(", ", twice)}");
        }
    }

    [Fact]
    public void QBittorrentRow_IsInQBittorrentsKeyOrder_AndOnlyItsTimeFieldsMoveWithTheClock()
    {
        var keys = TorrentFields.QBittorrentRow.Select(f => f.QBittorrent!).ToList();

        Assert.Equal(keys.Order(StringComparer.Ordinal), keys); // a QVariantMap writes its keys sorted
        Assert.Equal(new[] { "seeding_time", "time_active" }, keys.Where((_, i) => TorrentFields.QBittorrentClock[i]));
        var properties = TorrentFields.QBittorrentProperties.Select(f => f.Properties!).ToList();
        Assert.Equal(properties.Order(StringComparer.Ordinal), properties); // torrents/properties: a QJsonObject, sorted too
    }

    [Fact]
    public void TransmissionKeptFields_AreThoseThatMoveWithTheVersionAlone()
    {
        Assert.Equal(TorrentFields.All.Where(f => f.Transmission is not null && f.Moves == Moves.WithVersion).Select(f => f.Transmission).Order(),
            TransmissionRows.Kept.Order());
        Assert.All(new[] { "secondsSeeding", "secondsDownloading" }, field => Assert.Equal(Moves.WithClock, TorrentFields.ByTransmissionName[field].Moves));
        Assert.Null(new TransmissionRows().For(["id", "name", "secondsSeeding"]));
        Assert.Null(new TransmissionRows().For(["id", "name", "aFieldOfALaterVersion"]));
    }

    [Fact]
    public void RestNames_ArePropertiesOfTheRestApisTorrent()
    {
        var summary = new TorrentSummary(new string('a', 40), "x", 1, 1, 0, 0, 0, 0, 0, 0, "paused", DateTimeOffset.UnixEpoch, null)
        {
            Eta = 1, Category = "c", // null ones are left out of the JSON
        };
        var json = JsonSerializer.SerializeToElement(summary, WebJsonContext.Default.TorrentSummary);

        Assert.All(TorrentFields.All.Select(f => f.Rest).OfType<string>(), name => Assert.True(json.TryGetProperty(name, out _), $"the REST API's torrent has no '{name}'"));
    }

    [Fact]
    public async Task AFieldSaidToMoveWithTheVersion_HoldsWhileTheClockRuns_AndAClockFieldIsNeverServedFromAKeptRow()
    {
        // A seed with no peer (no tracker; private: no DHT, PEX or local discovery): its swarm falls idle and reports
        // nothing, so its version holds for as long as nobody changes it while its seconds of seeding grow.
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => WebTestServer.SwarmEngine(o) with { SeedAfterDownload = true });
        var idle = TestTorrents.SingleFile(length: 40_000, name: "idle.bin", announce: null, isPrivate: true);
        idle.WritePayload(web.Downloads.Path);
        using (var added = await web.UploadAsync(idle.TorrentBytes, "start=true&skipChecking=true", Ct))
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var manager = web.Server.Torrents;
        var torrent = manager.Get(idle.Torrent.InfoHash.Hex);
        var source = new FieldSource(manager, 50, new TransmissionIds(manager, TimeProvider.System));
        var rpc = new RpcClient(web.Http);
        await Wait.UntilAsync(() => torrent.State == TorrentState.Seeding, TimeSpan.FromSeconds(30), "the torrent never seeded", Ct);

        // Every field of every API read at one version, with a poll of a list holding the seconds of seeding; taken
        // only when the version and the list's changes held throughout.
        async Task<Snapshot?> TakeAsync()
        {
            var (version, changes) = (torrent.Version, manager.Changes);
            var values = Values(new FieldView(torrent, torrent.Summary(changes), source));
            var polled = (await rpc.SucceedAsync("torrent-get", new { fields = new[] { "id", "name", "secondsSeeding" } }, Ct))
                .GetProperty("torrents")[0].GetProperty("secondsSeeding").GetInt64();
            return torrent.Version == version && manager.Changes == changes ? new Snapshot(version, changes, values, polled) : null;
        }
        Snapshot? first = null, last = null;
        await Wait.UntilAsync(async () =>
        {
            if (await TakeAsync() is not { } now) return false;
            if (first is null || (first.Version, first.Changes) != (now.Version, now.Changes))
            {
                first = now; // the window starts again at each change
                return false;
            }
            last = now;
            return long.Parse(now.Values["transmission secondsSeeding"], CultureInfo.InvariantCulture) > first.Polled; // the clock moved past the first poll
        }, TimeSpan.FromSeconds(30), "the seed's version never held while its seconds of seeding grew", Ct);

        var moved = TorrentFields.All.Where(f => f.Moves == Moves.WithVersion).SelectMany(Keys)
            .Where(key => first!.Values[key] != last!.Values[key]).Select(key => $"{key}: {first!.Values[key]} -> {last!.Values[key]}").ToList();
        Assert.True(moved.Count == 0, "said to move only with the version, moved with the clock:\n" + string.Join('\n', moved));
        Assert.True(last!.Polled > first!.Polled, $"torrent-get's secondsSeeding came from a kept row: {first.Polled}, then {last.Polled}");
    }

    [Fact]
    public async Task APrivateTorrent_IsPrivateInTheRestApiTransmissionAndQBittorrent_AndAPublicOneIsNot()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        var secret = TestTorrents.SingleFile(length: 20_000, name: "secret.bin", announce: null, isPrivate: true);
        using (await web.UploadAsync(secret.TorrentBytes, start: false, Ct)) { }
        await web.AddAsync(start: false, Ct); // the web test torrent, public
        var hash = secret.Torrent.InfoHash.Hex;

        var rest = (await web.ListAsync(Ct)).ToDictionary(t => t.InfoHash, t => t.IsPrivate);
        var restJson = await web.Http.GetFromJsonAsync<JsonElement>("/api/torrents", Ct);
        var transmission = (await new RpcClient(web.Http).SucceedAsync("torrent-get", new { fields = new[] { "hashString", "isPrivate" } }, Ct))
            .GetProperty("torrents").EnumerateArray().ToDictionary(t => t.GetProperty("hashString").GetString()!, t => t.GetProperty("isPrivate").GetBoolean());
        var info = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/torrents/info", Ct))
            .EnumerateArray().ToDictionary(t => t.GetProperty("hash").GetString()!, t => t.GetProperty("is_private").GetBoolean());
        var maindata = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/sync/maindata", Ct)).GetProperty("torrents");

        var expected = new Dictionary<string, bool> { [hash] = true, [web.InfoHash] = false };
        Assert.Equal(expected, rest);
        Assert.All(restJson.EnumerateArray(), t => Assert.Equal(expected[t.GetProperty("infoHash").GetString()!], t.GetProperty("isPrivate").GetBoolean()));
        Assert.Equal(expected, transmission);
        Assert.Equal(expected, info);
        foreach (var (infoHash, isPrivate) in expected)
        {
            var properties = await web.Http.GetFromJsonAsync<JsonElement>($"/api/v2/torrents/properties?hash={infoHash}", Ct);
            Assert.Equal(isPrivate, properties.GetProperty("is_private").GetBoolean());
        }
        Assert.True(maindata.GetProperty(hash).GetProperty("is_private").GetBoolean());
        Assert.False(maindata.GetProperty(web.InfoHash).GetProperty("is_private").GetBoolean());
    }

    [Fact]
    public async Task EveryFieldOfTheTable_IsAnsweredByItsApi_NeverNull()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);
        var fields = TorrentFields.All.Select(f => f.Transmission).OfType<string>().ToArray();

        var transmission = (await new RpcClient(web.Http).SucceedAsync("torrent-get", new { fields }, Ct)).GetProperty("torrents")[0];
        var info = (await web.Http.GetFromJsonAsync<JsonElement>("/api/v2/torrents/info", Ct))[0];
        var properties = await web.Http.GetFromJsonAsync<JsonElement>($"/api/v2/torrents/properties?hash={web.InfoHash}", Ct);

        Assert.Equal(fields.Order(), transmission.EnumerateObject().Select(p => p.Name).Order());
        Assert.All(transmission.EnumerateObject(), p => Assert.NotEqual(JsonValueKind.Null, p.Value.ValueKind));
        Assert.Equal(new[] { "hash" }.Concat(TorrentFields.QBittorrentRow.Select(f => f.QBittorrent!)), info.EnumerateObject().Select(p => p.Name));
        Assert.All(info.EnumerateObject(), p => Assert.NotEqual(JsonValueKind.Null, p.Value.ValueKind));
        Assert.Equal(TorrentFields.QBittorrentProperties.Select(f => f.Properties!), properties.EnumerateObject().Select(p => p.Name));
        Assert.All(properties.EnumerateObject(), p => Assert.NotEqual(JsonValueKind.Null, p.Value.ValueKind));
        // One row, each route's "none": torrents/info's 0 and torrents/properties' -1 for no limit, as qbittorrent-nox.
        Assert.Equal(0, info.GetProperty("dl_limit").GetInt64());
        Assert.Equal(-1, properties.GetProperty("dl_limit").GetInt64());
        Assert.Equal(0, info.GetProperty("seen_complete").GetInt64());
        Assert.Equal(-1, properties.GetProperty("last_seen").GetInt64());
        Assert.Equal(info.GetProperty("name").GetString(), properties.GetProperty("name").GetString());
    }

    private sealed record Snapshot(int Version, long Changes, Dictionary<string, string> Values, long Polled);

    private static IEnumerable<string> Keys(TorrentField field) =>
        [.. field.Transmission is { } t ? [$"transmission {t}"] : Array.Empty<string>(), .. field.QBittorrent is { } q ? [$"qbittorrent {q}"] : Array.Empty<string>(),
            .. field.Properties is { } p ? [$"properties {p}"] : Array.Empty<string>()];

    /// <summary>Every field of both daemons' APIs as each writes it, by "api name".</summary>
    private static Dictionary<string, string> Values(FieldView view)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in TorrentFields.All)
        {
            if (field.Transmission is { } t) values[$"transmission {t}"] = Json(w => field.WriteTransmissionValue(w, view));
            if (field.QBittorrent is { } q) values[$"qbittorrent {q}"] = Json(w => field.WriteQBittorrentValue(w, view));
            if (field.Properties is { } p) values[$"properties {p}"] = Json(w => field.WritePropertiesValue(w, view));
        }
        return values;
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
