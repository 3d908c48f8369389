using System.Net.Http.Json;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>What we accept, we honour: every argument torrent-add, torrent-set and session-set take is applied with
/// Transmission's meaning (read back through torrent-get, session-get or the REST API), or refused with a result text
/// and nothing changed. One row per argument; the guard test fails when the RPC takes an argument that has no row.</summary>
public sealed class TransmissionArgumentTableTests(TransmissionArgumentTableTests.Rig rig) : IClassFixture<TransmissionArgumentTableTests.Rig>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One server for every row: each row starts from its torrents removed and added again, paused.</summary>
    public sealed class Rig : IAsyncLifetime
    {
        internal WebTestServer Web { get; private set; } = null!;
        internal RpcClient Rpc { get; private set; } = null!;
        public TestTorrents.Built Second { get; } = TestTorrents.SingleFile(40_000, name: "second.bin");

        public async ValueTask InitializeAsync()
        {
            Web = await WebTestServer.StartAsync(CancellationToken.None);
            Rpc = new RpcClient(Web.Http);
        }

        public async ValueTask DisposeAsync() => await Web.DisposeAsync();

        /// <summary>Removes every torrent (not its data), then adds the two torrents paused; returns the first one's id.</summary>
        public async Task<int> FreshAsync(CancellationToken ct)
        {
            await Rpc.SucceedAsync("torrent-remove", new { }, ct);
            var first = await Rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(Web.Swarm.Built.TorrentBytes), paused = true }, ct);
            await Rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(Second.TorrentBytes), paused = true }, ct);
            return first.GetProperty("torrent-added").GetProperty("id").GetInt32();
        }

        /// <summary>session-get of every key session-set takes (not the free space, which changes on its own).</summary>
        public Task<JsonElement> SessionAsync(CancellationToken ct) =>
            Rpc.SucceedAsync("session-get", new { fields = TransmissionSession.Arguments.Keys.ToArray() }, ct);

        public async Task<JsonElement> GetAsync(int id, CancellationToken ct, params string[] fields)
        {
            var got = await Rpc.SucceedAsync("torrent-get", new { ids = new[] { id }, fields }, ct);
            return Assert.Single(got.GetProperty("torrents").EnumerateArray());
        }
    }

    // The torrent-get fields a refused torrent-set must leave as they were.
    private static readonly string[] Watched =
    [
        "downloadLimit", "downloadLimited", "uploadLimit", "uploadLimited", "labels", "downloadDir", "peer-limit", "queuePosition",
        "seedRatioLimit", "seedRatioMode", "sequentialDownload", "trackerList", "wanted", "priorities", "bandwidthPriority", "group",
        "seedIdleMode", "seedIdleLimit", "honorsSessionLimits", "status",
    ];

    private const string TrackerA = "http://127.0.0.1:1/announce";
    private const string TrackerB = "http://127.0.0.1:2/announce";

    /// <summary>torrent-set: the arguments of one request (with ids), then what torrent-get must answer (null: refused).</summary>
    private static readonly Dictionary<string, (Dictionary<string, object> Arguments, Action<JsonElement, Rig>? Applied)[]> SetRows = new()
    {
        ["ids"] = [(new() { ["downloadLimit"] = 9, ["downloadLimited"] = true }, (t, _) => Assert.Equal(9, t.GetProperty("downloadLimit").GetInt32()))],
        ["downloadLimit"] = [(new() { ["downloadLimit"] = 123, ["downloadLimited"] = true }, (t, _) => Assert.Equal(123, t.GetProperty("downloadLimit").GetInt32()))],
        ["downloadLimited"] = [(new() { ["downloadLimit"] = 50, ["downloadLimited"] = false }, (t, _) => Assert.False(t.GetProperty("downloadLimited").GetBoolean())),
            (new() { ["downloadLimit"] = 0, ["downloadLimited"] = true }, null)], // 0 on means no transfer in Transmission
        ["uploadLimit"] = [(new() { ["uploadLimit"] = 77, ["uploadLimited"] = true }, (t, _) => Assert.Equal(77, t.GetProperty("uploadLimit").GetInt32()))],
        ["uploadLimited"] = [(new() { ["uploadLimit"] = 5, ["uploadLimited"] = true }, (t, _) => Assert.True(t.GetProperty("uploadLimited").GetBoolean()))],
        ["labels"] = [(new() { ["labels"] = new[] { "tv" } }, (t, _) => Assert.Equal("[\"tv\"]", t.GetProperty("labels").GetRawText())),
            (new() { ["labels"] = new[] { "tv", "hd" } }, (t, _) => Assert.Equal("[\"tv\",\"hd\"]", t.GetProperty("labels").GetRawText())), // category, then tags
            (new() { ["labels"] = new[] { "tv", "a,b" } }, null)], // a tag has no comma (qBittorrent's lists are comma-separated)
        ["location"] = [(new() { ["location"] = "elsewhere" }, (t, r) => Assert.Equal(Path.Combine(r.Web.Downloads.Path, "elsewhere"), t.GetProperty("downloadDir").GetString())),
            (new() { ["location"] = "/etc" }, null)],
        ["peer-limit"] = [(new() { ["peer-limit"] = 7 }, (t, _) => Assert.Equal(7, t.GetProperty("peer-limit").GetInt32())), (new() { ["peer-limit"] = 0 }, null)],
        ["queuePosition"] = [(new() { ["queuePosition"] = 1 }, (t, _) => Assert.Equal(1, t.GetProperty("queuePosition").GetInt32()))],
        ["seedRatioLimit"] = [(new() { ["seedRatioLimit"] = 1.5, ["seedRatioMode"] = 1 }, (t, _) => Assert.Equal(1.5, t.GetProperty("seedRatioLimit").GetDouble())),
            (new() { ["seedRatioLimit"] = 0, ["seedRatioMode"] = 1 }, (t, _) => Assert.Equal((0, 1), (t.GetProperty("seedRatioLimit").GetDouble(), t.GetProperty("seedRatioMode").GetInt32())))],
        ["seedRatioMode"] = [(new() { ["seedRatioMode"] = 2 }, (t, _) => Assert.Equal(2, t.GetProperty("seedRatioMode").GetInt32())), (new() { ["seedRatioMode"] = 5 }, null)],
        ["sequentialDownload"] = [(new() { ["sequentialDownload"] = true }, (t, _) => Assert.True(t.GetProperty("sequentialDownload").GetBoolean()))],
        ["trackerList"] = [(new() { ["trackerList"] = $"{TrackerA}\n\n{TrackerB}" }, (t, _) => Assert.Equal($"{TrackerA}\n\n{TrackerB}", t.GetProperty("trackerList").GetString()))],
        ["trackerAdd"] = [(new() { ["trackerAdd"] = new[] { TrackerB } }, (t, _) => Assert.EndsWith($"\n\n{TrackerB}", t.GetProperty("trackerList").GetString(), StringComparison.Ordinal))],
        ["trackerRemove"] = [(new() { ["trackerRemove"] = new[] { 0 } }, (t, _) => Assert.DoesNotContain("127.0.0.1", t.GetProperty("trackerList").GetString(), StringComparison.Ordinal))],
        ["trackerReplace"] = [(new() { ["trackerReplace"] = new object[] { 0, TrackerB } }, (t, _) => Assert.Equal(TrackerB, t.GetProperty("trackerList").GetString()))],
        ["files-wanted"] = [(new() { ["files-unwanted"] = Array.Empty<int>(), ["files-wanted"] = new[] { 1 } }, (t, _) => Assert.Equal("[0,1]", t.GetProperty("wanted").GetRawText()))],
        ["files-unwanted"] = [(new() { ["files-unwanted"] = new[] { 1 } }, (t, _) => Assert.Equal("[1,0]", t.GetProperty("wanted").GetRawText())), (new() { ["files-unwanted"] = new[] { 9 } }, null)],
        ["priority-high"] = [(new() { ["priority-high"] = new[] { 0 } }, (t, _) => Assert.Equal("[1,0]", t.GetProperty("priorities").GetRawText()))],
        ["priority-normal"] = [(new() { ["priority-low"] = Array.Empty<int>(), ["priority-normal"] = new[] { 1 } }, (t, _) => Assert.Equal("[-1,0]", t.GetProperty("priorities").GetRawText()))],
        ["priority-low"] = [(new() { ["priority-low"] = new[] { 1 } }, (t, _) => Assert.Equal("[0,-1]", t.GetProperty("priorities").GetRawText()))],
        ["honorsSessionLimits"] = [(new() { ["honorsSessionLimits"] = true }, (t, _) => Assert.True(t.GetProperty("honorsSessionLimits").GetBoolean())), (new() { ["honorsSessionLimits"] = false }, null)],
        ["bandwidthPriority"] = [(new() { ["bandwidthPriority"] = 0 }, (t, _) => Assert.Equal(0, t.GetProperty("bandwidthPriority").GetInt32())), (new() { ["bandwidthPriority"] = 1 }, null)],
        ["group"] = [(new() { ["group"] = "" }, (t, _) => Assert.Equal("", t.GetProperty("group").GetString())), (new() { ["group"] = "slow" }, null)],
        ["seedIdleLimit"] = [(new() { ["seedIdleLimit"] = 10, ["seedIdleMode"] = 1 }, (t, _) => Assert.Equal((10, 1), (t.GetProperty("seedIdleLimit").GetInt32(), t.GetProperty("seedIdleMode").GetInt32()))),
            (new() { ["seedIdleLimit"] = 0 }, null)], // 0 minutes: refused (it would stop at once)
        ["seedIdleMode"] = [(new() { ["seedIdleMode"] = 2 }, (t, _) => Assert.Equal(2, t.GetProperty("seedIdleMode").GetInt32())), (new() { ["seedIdleMode"] = 3 }, null)],
    };

    public static TheoryData<string> SetNames => [.. SetRows.Keys];

    [Theory]
    [MemberData(nameof(SetNames))]
    public async Task TorrentSet_EachArgument_IsAppliedOrRefusedWithNothingChanged(string name)
    {
        foreach (var (arguments, applied) in SetRows[name])
        {
            var id = await rig.FreshAsync(Ct);
            var before = (await rig.GetAsync(id, Ct, Watched)).GetRawText();
            var request = new Dictionary<string, object>(arguments) { ["ids"] = new[] { id } };
            if (applied is null)
            {
                var why = await rig.Rpc.FailAsync("torrent-set", request, Ct);
                Assert.False(string.IsNullOrWhiteSpace(why));
                Assert.Equal(before, (await rig.GetAsync(id, Ct, Watched)).GetRawText());
            }
            else
            {
                await rig.Rpc.SucceedAsync("torrent-set", request, Ct);
                applied(await rig.GetAsync(id, Ct, Watched), rig);
            }
        }
    }

    [Fact]
    public async Task TorrentSet_SeedRatioZero_MeansTheTorrentDoesNotSeed()
    {
        var id = await rig.FreshAsync(Ct);
        await rig.Rpc.SucceedAsync("torrent-set", new Dictionary<string, object> { ["ids"] = new[] { id }, ["seedRatioMode"] = 1, ["seedRatioLimit"] = 0 }, Ct);
        var row = (await rig.Web.ListAsync(Ct)).Single(t => t.InfoHash == rig.Web.InfoHash);
        Assert.False(row.Seeding?.Seed); // Transmission's ratio 0: it stops as soon as it is complete, not TorrentLab's "no ratio limit"
    }

    /// <summary>torrent-add: the arguments besides the .torrent itself, then what the added torrent shows (null: refused,
    /// and nothing added).</summary>
    private static readonly Dictionary<string, (Dictionary<string, object> Arguments, Action<JsonElement, Rig>? Applied)[]> AddRows = new()
    {
        ["metainfo"] = [(new(), (t, r) => Assert.Equal(r.Web.InfoHash, t.GetProperty("hashString").GetString()))],
        ["filename"] = [(new() { ["filename"] = "FILE" }, (t, r) => Assert.Equal(r.Web.InfoHash, t.GetProperty("hashString").GetString()))],
        ["download-dir"] = [(new() { ["download-dir"] = "shows" }, (t, r) => Assert.Equal(Path.Combine(r.Web.Downloads.Path, "shows"), t.GetProperty("downloadDir").GetString())),
            (new() { ["download-dir"] = "/tmp" }, null)],
        ["paused"] = [(new() { ["paused"] = true }, (t, _) => Assert.Equal(0, t.GetProperty("status").GetInt32()))],
        ["labels"] = [(new() { ["labels"] = new[] { "film" } }, (t, _) => Assert.Equal("[\"film\"]", t.GetProperty("labels").GetRawText())),
            (new() { ["labels"] = new[] { "a", "b" } }, (t, _) => Assert.Equal("[\"a\",\"b\"]", t.GetProperty("labels").GetRawText())),
            (new() { ["labels"] = new[] { "a", "\u0001" } }, null)],
        ["peer-limit"] = [(new() { ["peer-limit"] = 12 }, (t, _) => Assert.Equal(12, t.GetProperty("peer-limit").GetInt32())), (new() { ["peer-limit"] = -3 }, null)],
        ["sequentialDownload"] = [(new() { ["sequentialDownload"] = true }, (t, _) => Assert.True(t.GetProperty("sequentialDownload").GetBoolean()))],
        ["cookies"] = [(new() { ["cookies"] = "" }, (t, r) => Assert.Equal(r.Web.InfoHash, t.GetProperty("hashString").GetString())), (new() { ["cookies"] = "session=1" }, null)],
        ["bandwidthPriority"] = [(new() { ["bandwidthPriority"] = 0 }, (t, _) => Assert.Equal(0, t.GetProperty("bandwidthPriority").GetInt32())), (new() { ["bandwidthPriority"] = -1 }, null)],
        ["files-wanted"] = [(new() { ["files-unwanted"] = Array.Empty<int>(), ["files-wanted"] = new[] { 0 } }, (t, _) => Assert.Equal("[1,0]", t.GetProperty("wanted").GetRawText()))],
        ["files-unwanted"] = [(new() { ["files-unwanted"] = new[] { 0 } }, (t, _) => Assert.Equal("[0,1]", t.GetProperty("wanted").GetRawText())), (new() { ["files-unwanted"] = new[] { 2 } }, null)],
        ["priority-high"] = [(new() { ["priority-high"] = new[] { 1 } }, (t, _) => Assert.Equal("[0,1]", t.GetProperty("priorities").GetRawText()))],
        ["priority-normal"] = [(new() { ["priority-low"] = Array.Empty<int>(), ["priority-normal"] = new[] { 0 } }, (t, _) => Assert.Equal("[0,-1]", t.GetProperty("priorities").GetRawText()))],
        ["priority-low"] = [(new() { ["priority-low"] = new[] { 0 } }, (t, _) => Assert.Equal("[-1,0]", t.GetProperty("priorities").GetRawText()))],
    };

    public static TheoryData<string> AddNames => [.. AddRows.Keys];

    [Theory]
    [MemberData(nameof(AddNames))]
    public async Task TorrentAdd_EachArgument_IsAppliedOrRefusedWithNothingAdded(string name)
    {
        var file = Path.Combine(rig.Web.Downloads.Path, "add-by-path.torrent");
        await File.WriteAllBytesAsync(file, rig.Web.Swarm.Built.TorrentBytes, Ct);
        foreach (var (arguments, applied) in AddRows[name])
        {
            await rig.Rpc.SucceedAsync("torrent-remove", new { }, Ct);
            var request = new Dictionary<string, object>(arguments) { ["paused"] = arguments.GetValueOrDefault("paused") ?? true };
            if (request.GetValueOrDefault("filename") is "FILE") request["filename"] = file;
            else request["metainfo"] = Convert.ToBase64String(rig.Web.Swarm.Built.TorrentBytes);
            if (applied is null)
            {
                var why = await rig.Rpc.FailAsync("torrent-add", request, Ct);
                Assert.False(string.IsNullOrWhiteSpace(why));
                Assert.Empty(await rig.Web.ListAsync(Ct));
            }
            else
            {
                var added = await rig.Rpc.SucceedAsync("torrent-add", request, Ct);
                var id = added.GetProperty("torrent-added").GetProperty("id").GetInt32();
                applied(await rig.GetAsync(id, Ct, [.. Watched, "hashString"]), rig);
            }
        }
    }

    /// <summary>session-set's arguments that are applied: a value, then what session-get must answer.</summary>
    private static readonly Dictionary<string, (Dictionary<string, object> Arguments, Action<JsonElement>? Applied)[]> SessionRows = new()
    {
        ["speed-limit-down"] = [(new() { ["speed-limit-down"] = 300, ["speed-limit-down-enabled"] = true }, s => Assert.Equal(300, s.GetProperty("speed-limit-down").GetInt32())),
            (new() { ["speed-limit-down"] = 0, ["speed-limit-down-enabled"] = true }, null)],
        ["speed-limit-down-enabled"] = [(new() { ["speed-limit-down-enabled"] = false }, s => Assert.False(s.GetProperty("speed-limit-down-enabled").GetBoolean()))],
        ["speed-limit-up"] = [(new() { ["speed-limit-up"] = 40, ["speed-limit-up-enabled"] = true }, s => Assert.Equal(40, s.GetProperty("speed-limit-up").GetInt32()))],
        ["speed-limit-up-enabled"] = [(new() { ["speed-limit-up-enabled"] = false }, s => Assert.False(s.GetProperty("speed-limit-up-enabled").GetBoolean()))],
        ["alt-speed-down"] = [(new() { ["alt-speed-down"] = 21 }, s => Assert.Equal(21, s.GetProperty("alt-speed-down").GetInt32())), (new() { ["alt-speed-down"] = 0 }, null)],
        ["alt-speed-up"] = [(new() { ["alt-speed-up"] = 22 }, s => Assert.Equal(22, s.GetProperty("alt-speed-up").GetInt32()))],
        ["alt-speed-enabled"] = [(new() { ["alt-speed-enabled"] = true }, s => Assert.True(s.GetProperty("alt-speed-enabled").GetBoolean())),
            (new() { ["alt-speed-enabled"] = false }, s => Assert.False(s.GetProperty("alt-speed-enabled").GetBoolean()))],
        ["alt-speed-time-enabled"] = [(new() { ["alt-speed-time-enabled"] = false }, s => Assert.False(s.GetProperty("alt-speed-time-enabled").GetBoolean()))],
        ["alt-speed-time-begin"] = [(new() { ["alt-speed-time-begin"] = 60 }, s => Assert.Equal(60, s.GetProperty("alt-speed-time-begin").GetInt32()))],
        ["alt-speed-time-end"] = [(new() { ["alt-speed-time-end"] = 120 }, s => Assert.Equal(120, s.GetProperty("alt-speed-time-end").GetInt32()))],
        ["alt-speed-time-day"] = [(new() { ["alt-speed-time-day"] = 65 }, s => Assert.Equal(65, s.GetProperty("alt-speed-time-day").GetInt32()))],
        ["download-queue-size"] = [(new() { ["download-queue-size"] = 4 }, s => Assert.Equal(4, s.GetProperty("download-queue-size").GetInt32())), (new() { ["download-queue-size"] = 0 }, null)],
        ["seedRatioLimit"] = [(new() { ["seedRatioLimit"] = 3.0, ["seedRatioLimited"] = true }, s => Assert.Equal(3.0, s.GetProperty("seedRatioLimit").GetDouble())),
            (new() { ["seedRatioLimit"] = 0, ["seedRatioLimited"] = true }, null)], // ratio 0 means no seeding in Transmission
        ["seedRatioLimited"] = [(new() { ["seedRatioLimited"] = false }, s => Assert.False(s.GetProperty("seedRatioLimited").GetBoolean()))],
        ["idle-seeding-limit"] = [(new() { ["idle-seeding-limit"] = 45, ["idle-seeding-limit-enabled"] = true }, s => Assert.Equal((45, true), (s.GetProperty("idle-seeding-limit").GetInt32(), s.GetProperty("idle-seeding-limit-enabled").GetBoolean()))),
            (new() { ["idle-seeding-limit"] = 0, ["idle-seeding-limit-enabled"] = true }, null)],
        ["idle-seeding-limit-enabled"] = [(new() { ["idle-seeding-limit-enabled"] = false }, s => Assert.False(s.GetProperty("idle-seeding-limit-enabled").GetBoolean()))],
        ["start-added-torrents"] = [(new() { ["start-added-torrents"] = false }, s => Assert.False(s.GetProperty("start-added-torrents").GetBoolean())),
            (new() { ["start-added-torrents"] = true }, s => Assert.True(s.GetProperty("start-added-torrents").GetBoolean()))],
        ["blocklist-url"] = [(new() { ["blocklist-url"] = BlocklistFile }, s => Assert.Equal(BlocklistFile, s.GetProperty("blocklist-url").GetString())),
            (new() { ["blocklist-url"] = "ftp://lists.example/level1" }, null), (new() { ["blocklist-url"] = "relative.p2p" }, null)],
        ["blocklist-enabled"] = [(new() { ["blocklist-enabled"] = true, ["blocklist-url"] = BlocklistFile }, s => Assert.True(s.GetProperty("blocklist-enabled").GetBoolean())),
            (new() { ["blocklist-enabled"] = false }, s => Assert.False(s.GetProperty("blocklist-enabled").GetBoolean()))],
        ["script-torrent-done-filename"] = [(new() { ["script-torrent-done-filename"] = "/opt/my scripts/done.sh", ["script-torrent-done-enabled"] = true },
            s => Assert.Equal("/opt/my scripts/done.sh", s.GetProperty("script-torrent-done-filename").GetString()))],
        ["script-torrent-done-enabled"] = [(new() { ["script-torrent-done-enabled"] = true }, s => Assert.True(s.GetProperty("script-torrent-done-enabled").GetBoolean()))],
        ["script-torrent-added-filename"] = [(new() { ["script-torrent-added-filename"] = "/opt/added.sh" },
            s => Assert.Equal("/opt/added.sh", s.GetProperty("script-torrent-added-filename").GetString()))],
        ["script-torrent-added-enabled"] = [(new() { ["script-torrent-added-enabled"] = true }, s => Assert.True(s.GetProperty("script-torrent-added-enabled").GetBoolean()))],
    };

    /// <summary>A blocklist of two ranges on this machine, for the blocklist-url rows.</summary>
    private static string BlocklistFile => s_blocklistFile ??= WriteBlocklist();
    private static string? s_blocklistFile;

    private static string WriteBlocklist()
    {
        var path = Path.Combine(Path.GetTempPath(), $"torrentlab-blocklist-{Environment.ProcessId}.p2p");
        File.WriteAllText(path, "a:127.0.0.5-127.0.0.5\nb:10.0.0.0-10.0.0.255\n");
        return path;
    }

    public static TheoryData<string> SessionNames => [.. SessionRows.Keys];

    [Theory]
    [MemberData(nameof(SessionNames))]
    public async Task SessionSet_EachAppliedArgument_ShowsInSessionGetOrIsRefusedWithNothingChanged(string name)
    {
        foreach (var (arguments, applied) in SessionRows[name])
        {
            var before = (await rig.SessionAsync(Ct)).GetRawText();
            if (applied is null)
            {
                await rig.Rpc.FailAsync("session-set", arguments, Ct);
                Assert.Equal(before, (await rig.SessionAsync(Ct)).GetRawText());
            }
            else
            {
                await rig.Rpc.SucceedAsync("session-set", arguments, Ct);
                applied(await rig.SessionAsync(Ct));
            }
        }
    }

    public static TheoryData<string> SessionAsItIsNames => [.. TransmissionSession.Arguments.Values.Where(p => !p.Applied).Select(p => p.Name)];

    /// <summary>Every other session-get key: its value now is taken (a client that sends the whole dialog back), any other
    /// is refused and nothing changes.</summary>
    [Theory]
    [MemberData(nameof(SessionAsItIsNames))]
    public async Task SessionSet_EachKeyTakenAsItIs_TakesItsValueAndRefusesAnother(string name)
    {
        var session = await rig.SessionAsync(Ct);
        var now = session.GetProperty(name);
        object other = now.ValueKind switch
        {
            JsonValueKind.True or JsonValueKind.False => now.ValueKind != JsonValueKind.True,
            JsonValueKind.Number => now.GetDouble() + 1,
            _ => now.GetString() + "-other",
        };

        await rig.Rpc.SucceedAsync("session-set", new Dictionary<string, object> { [name] = now }, Ct);
        var why = await rig.Rpc.FailAsync("session-set", new Dictionary<string, object> { [name] = other, ["speed-limit-up"] = 9, ["speed-limit-up-enabled"] = true }, Ct);
        var after = await rig.SessionAsync(Ct);

        Assert.Contains(name, why, StringComparison.Ordinal);
        Assert.Equal(session.GetRawText(), after.GetRawText()); // the whole request refused: the upload limit beside it too
    }

    /// <summary>The guard: each argument the RPC takes has a row above (a new argument without one fails here), and an
    /// argument it does not know is refused, not answered "success".</summary>
    [Fact]
    public async Task EveryArgumentTheRpcTakes_HasARow_AndAnUnknownOneIsRefused()
    {
        Assert.Equal(TransmissionRpc.SetArguments.Keys.Order(), SetRows.Keys.Order());
        Assert.Equal(TransmissionRpc.AddArguments.Keys.Order(), AddRows.Keys.Order());
        Assert.Equal(TransmissionSession.Arguments.Values.Where(p => p.Applied).Select(p => p.Name).Order(), SessionRows.Keys.Order());
        var tabled = TransmissionRpc.Methods.Where(m => m.Value.Arguments is not null).Select(m => m.Key).Order();
        Assert.Equal(["session-set", "torrent-add", "torrent-set"], tabled);

        var id = await rig.FreshAsync(Ct);
        var set = await rig.Rpc.FailAsync("torrent-set", new Dictionary<string, object> { ["ids"] = new[] { id }, ["downloadLimit"] = 5, ["ratioLimit"] = 2 }, Ct);
        var session = await rig.Rpc.FailAsync("session-set", new Dictionary<string, object> { ["speed-limit-up"] = 9, ["speed_limit_up_enabled"] = true }, Ct);
        var add = await rig.Rpc.FailAsync("torrent-add", new Dictionary<string, object> { ["metainfo"] = Convert.ToBase64String(rig.Second.TorrentBytes), ["start"] = false }, Ct);

        Assert.Contains("'ratioLimit' is not supported", set, StringComparison.Ordinal);
        Assert.Contains("'speed_limit_up_enabled' is not supported", session, StringComparison.Ordinal);
        Assert.Contains("'start' is not supported", add, StringComparison.Ordinal);
        Assert.Equal(0, (await rig.GetAsync(id, Ct, "downloadLimit")).GetProperty("downloadLimit").GetInt32());
    }
}
