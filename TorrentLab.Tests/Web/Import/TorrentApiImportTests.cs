using System.Net;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Import;

/// <summary><c>POST /api/import</c> (the page's "Import from another client"): the same reader and data rule as
/// <c>torrentlab import</c>, over a qBittorrent <c>BT_backup</c> folder made by hand in the shape qbittorrent-nox 4.5
/// writes it (as <see cref="QBittorrentResumeTests"/> does).</summary>
public class TorrentApiImportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Token = "import-token";

    // 4 pieces of 16 KiB each: a finished one, a partial one (2 of 4 pieces claimed), one cut short after the client stopped.
    private static readonly TestTorrents.Built Finished = TestTorrents.SingleFile(4 * 16 * 1024, 16 * 1024, "finished.bin", announce: null, seed: 21);
    private static readonly TestTorrents.Built Partial = TestTorrents.SingleFile(4 * 16 * 1024, 16 * 1024, "partial.bin", announce: null, seed: 22);
    private static readonly TestTorrents.Built Cut = TestTorrents.SingleFile(4 * 16 * 1024, 16 * 1024, "cut.bin", announce: null, seed: 23);

    /// <summary>A BT_backup folder beside the server's downloads folder, whose torrents' data is in <c>downloads/old</c>.</summary>
    private static string Backup(WebTestServer web, TempFolder temp)
    {
        var old = web.Downloads.Combine("old");
        var backup = temp.Combine("BT_backup");
        Directory.CreateDirectory(backup);
        void Write(TestTorrents.Built built, string pieces, bool paused)
        {
            var hash = built.Torrent.InfoHash.Hex;
            File.WriteAllBytes(Path.Combine(backup, hash + ".torrent"), built.TorrentBytes);
            File.WriteAllBytes(Path.Combine(backup, hash + ".fastresume"), Encoding.Latin1.GetBytes(
                $"d10:added_timei1796058108e6:pausedi{(paused ? 1 : 0)}e6:pieces4:{pieces}9:save_path{Encoding.UTF8.GetByteCount(old)}:{old}e"));
        }
        Write(Finished, "\u0001\u0001\u0001\u0001", paused: true);
        Write(Partial, "\u0001\u0001\u0000\u0000", paused: true);
        Write(Cut, "\u0001\u0001\u0001\u0001", paused: true);
        Finished.WritePayload(old);
        Partial.WritePayload(old);
        Cut.WritePayload(old);
        using (var file = File.OpenWrite(Path.Combine(old, "cut.bin"))) file.SetLength(40_000); // 2 whole pieces left
        return backup;
    }

    private static Task<WebTestServer> StartAsync() => WebTestServer.StartAsync(Ct, configure: o => o with { RequireToken = true, Token = Token });

    [Fact]
    public async Task Import_QBittorrentFolder_ListsEachTorrentWithItsDataTakenByTheImportRule()
    {
        await using var web = await StartAsync();
        using var temp = new TempFolder("torrentlab-import-api");
        var backup = Backup(web, temp);
        using var answer = await web.Http.PostAsJsonAsync("api/import", new ImportRequest("qbittorrent", backup), Ct);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = (await answer.Content.ReadFromJsonAsync<ImportAnswer>(Ct))!;
        Assert.Equal("imported 3 of 3 torrent(s), 1 to be checked", body.Summary);
        Assert.EndsWith("paused, seeds when complete; complete, not hashed", body.Torrents.Single(t => t.Name == "finished.bin").Line);
        Assert.EndsWith("partial: resumes at 50 %", body.Torrents.Single(t => t.Name == "partial.bin").Line);
        Assert.EndsWith("files missing or sized wrong: will be checked", body.Torrents.Single(t => t.Name == "cut.bin").Line);

        var rows = await web.ListAsync(Ct);
        TorrentSummary Row(TestTorrents.Built built) => rows.Single(r => r.InfoHash == built.Torrent.InfoHash.Hex);
        Assert.Equal(("completed", 4, 1.0), (Row(Finished).State, Row(Finished).PiecesDone, Row(Finished).Progress)); // complete and stopped
        Assert.Equal(("paused", 2, 0.5), (Row(Partial).State, Row(Partial).PiecesDone, Row(Partial).Progress));
        Assert.Equal(("paused", 0), (Row(Cut).State, Row(Cut).PiecesDone)); // nothing recorded: its start checks it
    }

    [Fact]
    public async Task Import_MissingFolder404_AnotherClientsFolder400_NoToken401_AndNothingAdded()
    {
        await using var web = await StartAsync();
        using var temp = new TempFolder("torrentlab-import-api");
        var backup = Backup(web, temp);
        using var missing = await web.Http.PostAsJsonAsync("api/import", new ImportRequest("qbittorrent", backup + "-nope"), Ct);
        using var transmissions = await web.Http.PostAsJsonAsync("api/import", new ImportRequest("transmission", backup), Ct); // a BT_backup, not a config folder
        using var unknown = await web.Http.PostAsJsonAsync("api/import", new ImportRequest("deluge", backup), Ct);
        using var anonymous = new HttpClient { BaseAddress = web.Http.BaseAddress };
        using var noToken = await anonymous.PostAsJsonAsync("api/import", new ImportRequest("qbittorrent", backup), Ct);

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, transmissions.StatusCode);
        Assert.Contains("is not a Transmission config folder", (await transmissions.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Empty(await web.ListAsync(Ct));
    }
}
