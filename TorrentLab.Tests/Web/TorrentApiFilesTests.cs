using System.Net;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary><c>GET/PUT /api/torrents/{infoHash}/files</c>: the file selection of a torrent of the web interface.</summary>
public class TorrentApiFilesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<FileEntry[]> FilesAsync(WebTestServer web) =>
        (await web.Http.GetFromJsonAsync<FileEntry[]>($"/api/torrents/{web.InfoHash}/files", Ct))!;

    private static Task<HttpResponseMessage> PutAsync(WebTestServer web, string json, string type = "application/json") =>
        web.Http.PutAsync($"/api/torrents/{web.InfoHash}/files", new StringContent(json, Encoding.UTF8, type), Ct);

    /// <summary>b.bin's bytes on disk are absent, or only those of the piece it shares with a.bin (the rest a hole).</summary>
    private static void AssertOnlySharedBytesOfB(WebTestServer web)
    {
        var (path, data) = web.Swarm.Built.Files[1];
        var full = web.Downloads.Combine(path);
        if (!File.Exists(full)) return;
        var aLength = web.Swarm.Built.Files[0].Data.Length;
        var shared = (int)Math.Min(data.Length, (aLength / (16 * 1024) + 1) * 16 * 1024 - aLength);
        var bytes = File.ReadAllBytes(full);
        Assert.True(bytes.Length <= shared, $"b.bin holds {bytes.Length} bytes, only {shared} are shared with a.bin");
        Assert.Equal(data.AsSpan(0, bytes.Length).ToArray(), bytes);
    }

    [Fact]
    public async Task Get_NewTorrent_ListsEveryFileAtNormalPriorityNumberedFromOne()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        var files = await FilesAsync(web);

        Assert.Equal([(1, "webtest/a.bin", "normal"), (2, "webtest/sub/b.bin", "normal")], files.Select(f => (f.Index, f.Path, f.Priority)));
        Assert.Equal(web.Swarm.Built.Files.Select(f => (long)f.Data.Length), files.Select(f => f.Length));
    }

    [Fact]
    public async Task Put_SkipOneFileThenStart_CompletesWithOnlyTheOtherAndKeepsTheChoiceAcrossARestart()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        using var put = await PutAsync(web, """{"files": [{"index": 2, "priority": "skip"}]}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(["normal", "skip"], (await put.Content.ReadFromJsonAsync<FileEntry[]>(Ct))!.Select(f => f.Priority));
        using var start = await web.Http.PostAsync($"/api/torrents/{web.InfoHash}/start", null, Ct);
        var done = await web.WaitForAsync(t => t.State == "completed", Ct);

        Assert.Equal(1.0, done.Progress); // of the wanted bytes
        Assert.Equal(web.Swarm.Built.Files[0].Data, File.ReadAllBytes(web.Downloads.Combine(web.Swarm.Built.Files[0].Path)));
        AssertOnlySharedBytesOfB(web);
        await web.RestartAsync(Ct);
        Assert.Equal(["normal", "skip"], (await FilesAsync(web)).Select(f => f.Priority));
        Assert.Equal("completed", (await web.WaitForAsync(_ => true, Ct)).State);
    }

    [Fact]
    public async Task Put_WhileDownloading_RestartsWithTheSelectionAndWantingTheFileAgainFetchesIt()
    {
        // The seeder lacks b.bin's last piece until told (LatePiece): the download cannot finish before the change
        // however late the change comes (a run under load once had every piece before it).
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 24, slowDelay: TimeSpan.FromMilliseconds(15),
            peer: o => o with { LatePiece = 23 });
        await web.AddAsync(start: true, Ct);
        await web.WaitForAsync(t => t.PiecesDone >= 2, Ct);

        using (var skip = await PutAsync(web, """{"files": [{"index": 2, "priority": "skip"}, {"index": 1, "priority": "high"}]}"""))
            Assert.Equal(HttpStatusCode.OK, skip.StatusCode);
        var partial = await web.WaitForAsync(t => t.State == "completed", Ct);
        // b.bin was created whole before the change (the download had started wanting it): its pieces are not fetched.
        Assert.True(partial.PiecesDone < partial.PieceCount, $"{partial.PiecesDone} of {partial.PieceCount} pieces");
        Assert.Equal(1.0, partial.Progress);
        Assert.Equal(web.Swarm.Built.Files[0].Data, File.ReadAllBytes(web.Downloads.Combine(web.Swarm.Built.Files[0].Path)));

        web.Swarm.Peers[0].AcquireLate();
        using (var want = await PutAsync(web, """{"files": [{"index": 2, "priority": "normal"}]}"""))
            Assert.Equal(HttpStatusCode.OK, want.StatusCode);
        await web.WaitForAsync(t => t.State == "completed" && t.PiecesDone == t.PieceCount, Ct);
        Assert.True(web.FilesMatch());
    }

    [Theory]
    [InlineData("""{"files": [{"index": 3, "priority": "skip"}]}""", "application/json", 400, "out of range")]
    [InlineData("""{"files": [{"index": 0, "priority": "skip"}]}""", "application/json", 400, "out of range")]
    [InlineData("""{"files": [{"index": 1, "priority": "urgent"}]}""", "application/json", 400, "skip, low, normal or high")]
    [InlineData("""{"files": []}""", "application/json", 400, "no file to change")]
    [InlineData("""{"files": [""", "application/json", 400, "not a file selection")]
    [InlineData("""{}""", "application/json", 400, "expected {")]
    [InlineData("""{"files": [{"index": 1, "priority": "skip"}]}""", "text/plain", 415, "application/json")]
    public async Task Put_BadBody_IsRefusedAndChangesNothing(string json, string type, int status, string message)
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        using var response = await PutAsync(web, json, type);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(message, (await response.Content.ReadFromJsonAsync<ApiError>(Ct))!.Error);
        Assert.All(await FilesAsync(web), f => Assert.Equal("normal", f.Priority));
    }

    [Fact]
    public async Task Get_UnknownTorrent_Is404()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.GetAsync($"/api/torrents/{new string('a', 40)}/files", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
