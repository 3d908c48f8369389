using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.Transmission;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.QBittorrent;

/// <summary>What we accept, we honour: every parameter of qBittorrent's torrents/add is applied with qBittorrent's
/// meaning (read back through the REST API and torrent-get of the same server), or refused with a 400 and nothing
/// added. One row per parameter; the guard test fails when the route takes a parameter that has no row.</summary>
public sealed class QBittorrentAddParameterTests(QBittorrentAddParameterTests.Rig rig) : IClassFixture<QBittorrentAddParameterTests.Rig>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>One server (no token: the qBittorrent API lets loopback clients in) for every row.</summary>
    public sealed class Rig : IAsyncLifetime
    {
        internal WebTestServer Web { get; private set; } = null!;
        internal RpcClient Rpc { get; private set; } = null!;
        internal TestTorrents.Built Other { get; } = TestTorrents.SingleFile(30_000, name: "other.bin");

        public async ValueTask InitializeAsync()
        {
            Web = await WebTestServer.StartAsync(CancellationToken.None);
            Rpc = new RpcClient(Web.Http);
        }

        public async ValueTask DisposeAsync() => await Web.DisposeAsync();

        /// <summary>Removes every torrent and its data (a row that starts the download leaves none for the next), adds <see cref="Other"/> (paused), then posts torrents/add of the test torrent
        /// with the fields given; returns the status and text.</summary>
        internal async Task<(HttpStatusCode Status, string Text)> AddAsync(IEnumerable<(string Key, string Value)> fields, CancellationToken ct)
        {
            await Rpc.SucceedAsync("torrent-remove", new Dictionary<string, object> { ["delete-local-data"] = true }, ct);
            await Rpc.SucceedAsync("torrent-add", new { metainfo = Convert.ToBase64String(Other.TorrentBytes), paused = true }, ct);
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(Web.Swarm.Built.TorrentBytes), "torrents", "webtest.torrent");
            foreach (var (key, value) in fields) form.Add(new StringContent(value), key);
            using var response = await Web.Http.PostAsync("/api/v2/torrents/add", form, ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }

        internal async Task<(TorrentSummary Row, JsonElement Rpc)> AddedAsync(CancellationToken ct)
        {
            var row = (await Web.ListAsync(ct)).Single(t => t.InfoHash == Web.InfoHash);
            var got = await Rpc.SucceedAsync("torrent-get", new
            {
                ids = new[] { Web.InfoHash },
                fields = new[] { "downloadLimit", "uploadLimit", "sequentialDownload", "queuePosition", "downloadDir", "status" },
            }, ct);
            return (row, got.GetProperty("torrents")[0]);
        }
    }

    private delegate void Check(TorrentSummary row, JsonElement rpc, Rig rig);

    /// <summary>One row per parameter: requests (the fields besides the .torrent file), each with what the added torrent
    /// shows, or null when it must be refused.</summary>
    private static readonly Dictionary<string, ((string Key, string Value)[] Fields, Check? Applied)[]> Rows = new()
    {
        ["urls"] = [([("urls", "ftp://127.0.0.1/x.torrent")], null)], // only magnet links and http/https URLs
        ["savepath"] = [([("savepath", "films")], (r, _, _) => Assert.Equal("films", r.Folder)), ([("savepath", "/etc")], null)],
        ["category"] = [([("category", "linux")], (r, _, _) => Assert.Equal("linux", r.Category))],
        ["paused"] = [([("paused", "true")], (r, _, _) => Assert.Equal("paused", r.State)), ([("paused", "false")], (r, _, _) => Assert.NotEqual("paused", r.State))],
        ["stopped"] = [([("stopped", "true")], (r, _, _) => Assert.Equal("paused", r.State))],
        ["skip_checking"] = [([("skip_checking", "true"), ("paused", "true")], (r, _, _) => Assert.Equal(0, r.PiecesDone))], // no data there: nothing taken as complete
        ["upLimit"] = [([("upLimit", "50000"), ("paused", "true")], (_, t, _) => Assert.Equal(50, t.GetProperty("uploadLimit").GetInt32())), ([("upLimit", "-5")], null)],
        ["dlLimit"] = [([("dlLimit", "70000"), ("paused", "true")], (_, t, _) => Assert.Equal(70, t.GetProperty("downloadLimit").GetInt32())),
            ([("dlLimit", "-1"), ("paused", "true")], (_, t, _) => Assert.Equal(0, t.GetProperty("downloadLimit").GetInt32()))],
        ["ratioLimit"] = [([("ratioLimit", "1.5"), ("paused", "true")], (r, _, _) => Assert.Equal(1.5, r.Seeding?.Ratio)),
            ([("ratioLimit", "0"), ("paused", "true")], (r, _, _) => Assert.False(r.Seeding?.Seed)), // qBittorrent: reached at once, it does not seed
            ([("ratioLimit", "-1"), ("paused", "true")], (r, _, _) => Assert.Equal(0, r.Seeding?.Ratio)), // no limit
            ([("ratioLimit", "-7")], null)],
        ["seedingTimeLimit"] = [([("seedingTimeLimit", "90"), ("paused", "true")], (r, _, _) => Assert.Equal(90, r.Seeding?.Minutes)),
            ([("seedingTimeLimit", "0"), ("paused", "true")], (r, _, _) => Assert.False(r.Seeding?.Seed))],
        ["sequentialDownload"] = [([("sequentialDownload", "true"), ("paused", "true")], (_, t, _) => Assert.True(t.GetProperty("sequentialDownload").GetBoolean()))],
        ["addToTopOfQueue"] = [([("addToTopOfQueue", "true"), ("paused", "true")], (_, t, _) => Assert.Equal(0, t.GetProperty("queuePosition").GetInt32())),
            ([("addToTopOfQueue", "false"), ("paused", "true")], (_, t, _) => Assert.Equal(1, t.GetProperty("queuePosition").GetInt32()))],
        // Automatic torrent management is refused (torrents/info reads auto_tmm false): true was "Ok." and not applied.
        ["autoTMM"] = [([("autoTMM", "false"), ("savepath", "films"), ("paused", "true")], (r, _, _) => Assert.Equal("films", r.Folder)),
            ([("autoTMM", "true"), ("paused", "true")], null), ([("autoTMM", "true"), ("savepath", "films")], null)],
        ["useAutoTMM"] = [([("useAutoTMM", "false"), ("savepath", "films"), ("paused", "true")], (r, _, _) => Assert.Equal("films", r.Folder)),
            ([("useAutoTMM", "true"), ("paused", "true")], null), ([("useAutoTMM", "true"), ("savepath", "films")], null)],
        ["tags"] = [([("tags", "hd, 1080p"), ("paused", "true")], (r, _, _) => Assert.Equal(["1080p", "hd"], r.Tags)), ([("tags", "a\u0001b")], null)],
        ["rename"] = [([("rename", "My name"), ("paused", "true")], (r, _, _) => Assert.Equal("My name", r.Name)), ([("rename", "bad\u0001name")], null)],
        ["cookie"] = [([("cookie", "session=1")], null)],
        ["root_folder"] = [([("root_folder", "false")], null)],
        ["contentLayout"] = [([("contentLayout", "Original"), ("paused", "true")], (r, _, _) => Assert.Equal("paused", r.State)), ([("contentLayout", "NoSubfolder")], null)],
        ["stopCondition"] = [([("stopCondition", "None"), ("paused", "true")], (r, _, _) => Assert.Equal("paused", r.State)), ([("stopCondition", "MetadataReceived")], null)],
        ["firstLastPiecePrio"] = [([("firstLastPiecePrio", "false"), ("paused", "true")], (r, _, _) => Assert.Equal("paused", r.State)), ([("firstLastPiecePrio", "true")], null)],
        ["downloadPath"] = [([("downloadPath", "incomplete")], null)],
        ["useDownloadPath"] = [([("useDownloadPath", "false"), ("paused", "true")], (r, _, _) => Assert.Equal("paused", r.State)), ([("useDownloadPath", "true")], null)],
        ["inactiveSeedingTimeLimit"] = [([("inactiveSeedingTimeLimit", "30"), ("paused", "true")], (r, _, _) => Assert.Equal(30, r.Seeding?.IdleMinutes)),
            ([("inactiveSeedingTimeLimit", "-3")], null)],
    };

    public static TheoryData<string> Names => [.. Rows.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Add_EachParameter_IsAppliedOrRefusedWithNothingAdded(string name)
    {
        foreach (var (fields, applied) in Rows[name])
        {
            var (status, text) = await rig.AddAsync(fields, Ct);
            if (applied is null)
            {
                Assert.Equal(HttpStatusCode.BadRequest, status);
                Assert.False(string.IsNullOrWhiteSpace(text));
                Assert.DoesNotContain(await rig.Web.ListAsync(Ct), t => t.InfoHash == rig.Web.InfoHash);
            }
            else
            {
                Assert.True(status == HttpStatusCode.OK, $"{name}: {(int)status} {text}");
                Assert.Equal("Ok.", text);
                var (row, rpc) = await rig.AddedAsync(Ct);
                applied(row, rpc, rig);
            }
        }
    }

    /// <summary>The guard: each parameter torrents/add takes has a row above (a new one without a row fails here), and a
    /// parameter it does not know is a 400, not "Ok." with the parameter dropped.</summary>
    [Fact]
    public async Task EveryParameterTheAddTakes_HasARow_AndAnUnknownOneIsRefused()
    {
        Assert.Equal(QBittorrentAdd.Parameters.Keys.Order(), Rows.Keys.Order());
        Assert.Equal(["torrents/add"], QBittorrentApi.Routes.Where(r => r.Value.Parameters is not null).Select(r => r.Key));

        var (status, text) = await rig.AddAsync([("paused", "true"), ("superSeeding", "true")], Ct);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("'superSeeding' is not supported", text, StringComparison.Ordinal);
        Assert.DoesNotContain(await rig.Web.ListAsync(Ct), t => t.InfoHash == rig.Web.InfoHash);
    }
}
