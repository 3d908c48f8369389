using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using TorrentLab.Creation;
using TorrentLab.Metainfo;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>Sharing through the REST API (<c>POST /api/shares</c>): an uploaded file or folder, or data named below the
/// downloads folder, becomes the torrent <c>torrentlab create</c> would make with the same options and seeds at once on
/// a server that does not seed downloads; its .torrent comes back from <c>GET /api/torrents/{hash}/torrent</c>; every
/// bad request is refused with nothing left behind, and an upload that would fill the disk is a 507.</summary>
[Trait("Tier", "Slow")]
public class TorrentApiSharesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The swarm engine (the only one that seeds), the DHT off, and downloads not seeded (serve's default).</summary>
    internal static WebServerOptions Sharing(WebServerOptions o) => TorrentApiParityTests.Swarm(o) with { SeedAfterDownload = false };

    /// <summary>A multipart form as the page sends it: the option fields, then the files, each named by its path.</summary>
    internal static MultipartFormDataContent Form(IEnumerable<(string Field, string Value)> options, params (string Path, byte[] Data)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, value) in options) form.Add(new StringContent(value), field);
        foreach (var (path, data) in files) form.Add(new ByteArrayContent(data), "file", path);
        return form;
    }

    private static async Task<(HttpStatusCode Status, ShareResult? Result, string Body)> ShareAsync(WebTestServer web, HttpContent content)
    {
        using var response = await web.Http.PostAsync("/api/shares", content, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, response.StatusCode == HttpStatusCode.Created ? System.Text.Json.JsonSerializer.Deserialize<ShareResult>(body,
            System.Text.Json.JsonSerializerOptions.Web) : null, body);
    }

    private static async Task<TorrentSummary> WaitForStateAsync(WebTestServer web, string hash, string state)
    {
        TorrentSummary? row = null;
        await Wait.UntilAsync(async () => (row = (await web.ListAsync(Ct)).SingleOrDefault(t => t.InfoHash == hash))?.State == state,
            TimeSpan.FromSeconds(20), Ct);
        Assert.True(row?.State == state, $"expected {state}, last: {row}");
        return row!;
    }

    /// <summary>True when no upload waits in TorrentLab's staging folder (emptied at each start).</summary>
    private static bool NothingIncoming(string downloads)
    {
        var incoming = Path.Combine(downloads, ".torrentlab", "incoming");
        return !Directory.Exists(incoming) || !Directory.EnumerateFileSystemEntries(incoming).Any();
    }

    [Fact]
    public async Task Upload_APlainFile_IsTheTorrentCreateMakes_SeedsAtOnceOnAServerThatDoesNotSeedDownloads_AndAfterARestart()
    {
        var log = new ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => Sharing(o) with { Log = log.Enqueue });
        var data = TestTorrents.Payload(300_000, seed: 5);
        const string tracker = "http://127.0.0.1:1/announce";

        var (status, result, body) = await ShareAsync(web, Form([("tracker", tracker), ("pieceLength", "32768")], ("notes.bin", data)));
        Assert.True(status == HttpStatusCode.Created, body);
        var seeding = await WaitForStateAsync(web, result!.InfoHash, "seeding");
        using var file = await web.Http.GetAsync(result.TorrentUrl, Ct);
        var torrentBytes = await file.Content.ReadAsByteArrayAsync(Ct);
        await web.RestartAsync(Ct, configure: Sharing);
        var afterRestart = await WaitForStateAsync(web, result.InfoHash, "seeding");

        // The reference: the library's creation over the same bytes in memory, with the same options.
        var expected = Torrent.Parse(TorrentBuilder.Create("notes.bin", data, TorrentCreateOptions.WithTrackers(tracker) with { PieceLength = 32768 }));
        var served = Torrent.Parse(torrentBytes);
        Assert.Equal(expected.InfoHash.Hex, result.InfoHash);
        Assert.Equal(expected.InfoHash, served.InfoHash);
        Assert.Equal(tracker, Assert.Single(Assert.Single(served.TrackerTiers)));
        Assert.Equal($"/api/torrents/{result.InfoHash}/torrent", result.TorrentUrl);
        Assert.Equal(served.MagnetLink, result.MagnetLink);
        Assert.StartsWith($"magnet:?xt=urn:btih:{result.InfoHash}&dn=notes.bin&tr=", result.MagnetLink, StringComparison.Ordinal);
        Assert.Equal("application/x-bittorrent", file.Content.Headers.ContentType!.MediaType);
        Assert.Equal("notes.bin.torrent", file.Content.Headers.ContentDisposition!.FileNameStar);
        Assert.Equal(data, await File.ReadAllBytesAsync(web.Downloads.Combine("notes.bin"), Ct));
        Assert.Equal((expected.PieceCount, expected.PieceCount, ""), (seeding.PiecesDone, seeding.PieceCount, seeding.Folder));
        Assert.Equal(new SeedPolicy(true, 0, 0), afterRestart.Seeding); // no limit of the server's for downloads applies
        Assert.False(web.Server.Torrents.Settings.SeedAfterDownload);
        Assert.True(NothingIncoming(web.Downloads.Path));
        Assert.Contains(log, l => l == $"shared 'notes.bin' ({result.InfoHash}, uploaded): seeding");
    }

    [Fact]
    public async Task Upload_AFolder_KeepsItsPathsInTheFolderAsked_WithThePrivateFlagAndTheHybridFormat()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: Sharing);
        var (a, b, empty) = (TestTorrents.Payload(40_000, seed: 1), TestTorrents.Payload(70_001, seed: 2), Array.Empty<byte>());

        var (status, result, body) = await ShareAsync(web, Form([("format", "hybrid"), ("private", "true"), ("folder", "music"), ("comment", "a live set")],
            ("album/a.txt", a), ("album/disc 2/b.bin", b), ("album/empty", empty)));
        Assert.True(status == HttpStatusCode.Created, body);
        await WaitForStateAsync(web, result!.InfoHash, "seeding");
        var torrent = Torrent.Parse(await web.Http.GetByteArrayAsync(result.TorrentUrl, Ct));

        Assert.Equal(("album", "music"), (result.Torrent.Name, result.Torrent.Folder));
        Assert.True(torrent.IsHybrid);
        Assert.True(torrent.IsPrivate);
        Assert.Equal("a live set", torrent.Comment);
        Assert.Equal(["album/a.txt", "album/disc 2/b.bin", "album/empty"], torrent.Files.Where(f => !f.IsPadding).Select(f => f.DisplayPath).Order(StringComparer.Ordinal));
        Assert.Contains("xt=urn:btmh:1220", result.MagnetLink, StringComparison.Ordinal); // BEP 52's hash beside the v1 one
        Assert.Equal(a, await File.ReadAllBytesAsync(web.Downloads.Combine("music/album/a.txt"), Ct));
        Assert.Equal(b, await File.ReadAllBytesAsync(web.Downloads.Combine("music/album/disc 2/b.bin"), Ct));
        Assert.Equal(0, new FileInfo(web.Downloads.Combine("music/album/empty")).Length);
        // Created the way torrentlab create makes it from the same folder on disk.
        var expected = Torrent.Parse(await TorrentBuilder.CreateAsync(web.Downloads.Combine("music/album"),
            new TorrentCreateOptions { Format = TorrentFormat.Hybrid, Private = true, Comment = "a live set" }, cancellation: Ct));
        Assert.Equal(expected.InfoHash, torrent.InfoHash);
    }

    [Fact]
    public async Task SharePath_DataAlreadyInTheDownloadsFolder_SeedsInPlaceWithTheOptionsGiven()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: Sharing);
        var trip = web.Downloads.Combine("films", "trip");
        Directory.CreateDirectory(Path.Combine(trip, "day 1"));
        var clip = TestTorrents.Payload(100_000, seed: 3);
        await File.WriteAllBytesAsync(Path.Combine(trip, "day 1", "clip.bin"), clip, Ct);
        await File.WriteAllTextAsync(Path.Combine(trip, "notes.txt"), "hello", Ct);
        string[][] tiers = [["udp://127.0.0.1:1/announce", "http://127.0.0.1:2/announce"], ["http://127.0.0.1:3/announce"]];

        var (status, result, body) = await ShareAsync(web, JsonContent.Create(new
        {
            path = "films/trip", trackers = tiers, pieceLength = 16384, format = "v2", comment = "shot on film", webSeeds = new[] { "http://127.0.0.1:4/files/" },
        }));
        Assert.True(status == HttpStatusCode.Created, body);
        await WaitForStateAsync(web, result!.InfoHash, "seeding");
        var torrent = Torrent.Parse(await web.Http.GetByteArrayAsync(result.TorrentUrl, Ct));
        var details = await web.Http.GetFromJsonAsync<TorrentDetails>($"/api/torrents/{result.InfoHash}", Ct);

        Assert.True(torrent.IsV2Only);
        Assert.Equal(16384, torrent.PieceLength);
        Assert.Equal(tiers, torrent.TrackerTiers.Select(t => t.ToArray()));
        Assert.Equal(["http://127.0.0.1:4/files/"], torrent.WebSeeds);
        Assert.Equal("shot on film", torrent.Comment);
        Assert.Equal(("trip", "films"), (result.Torrent.Name, result.Torrent.Folder));
        Assert.Equal(clip, await File.ReadAllBytesAsync(Path.Combine(trip, "day 1", "clip.bin"), Ct)); // in place, untouched
        Assert.Equal(result.MagnetLink, details!.MagnetLink);
        Assert.StartsWith("magnet:?xt=urn:btmh:1220", result.MagnetLink, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Share_EveryBadRequest_IsRefusedWithItsStatus_AndLeavesNothingBehind()
    {
        await using var web = await WebTestServer.StartAsync(Ct, configure: Sharing);
        using var outside = new TempFolder("torrentlab-share-outside");
        await File.WriteAllTextAsync(outside.Combine("secret.txt"), "not to be shared", Ct);
        File.CreateSymbolicLink(web.Downloads.Combine("outlink"), outside.Combine("secret.txt"));
        Directory.CreateDirectory(web.Downloads.Combine("mixed"));
        await File.WriteAllTextAsync(web.Downloads.Combine("mixed", "mine.txt"), "mine", Ct);
        File.CreateSymbolicLink(web.Downloads.Combine("mixed", "theirs"), outside.Combine("secret.txt"));
        await File.WriteAllTextAsync(web.Downloads.Combine("taken.bin"), "already here", Ct);
        Directory.CreateDirectory(web.Downloads.Combine("nothing-inside"));
        var before = Tree(web);
        var small = Encoding.UTF8.GetBytes("some bytes");

        (string Name, Func<HttpContent> Request, int Status, string Says)[] table =
        [
            ("path out by ..", () => JsonContent.Create(new { path = "../outside" }), 400, "not inside the downloads folder"),
            ("absolute path outside", () => JsonContent.Create(new { path = outside.Combine("secret.txt") }), 400, "not inside the downloads folder"),
            ("a link out", () => JsonContent.Create(new { path = "outlink" }), 400, "leads outside the downloads folder"),
            ("a link out inside the folder", () => JsonContent.Create(new { path = "mixed" }), 400, "mixed/theirs: is a symbolic link to a path outside it"),
            ("TorrentLab's folder", () => JsonContent.Create(new { path = ".torrentlab" }), 400, "reserved for TorrentLab"),
            ("inside TorrentLab's folder", () => JsonContent.Create(new { path = ".torrentlab/web" }), 400, "not inside the downloads folder"),
            ("the downloads folder itself", () => JsonContent.Create(new { path = "." }), 400, "names no file or folder"),
            ("no path", () => JsonContent.Create(new { trackers = Array.Empty<string[]>() }), 400, "give 'path'"),
            ("nothing there", () => JsonContent.Create(new { path = "missing.bin" }), 404, "no file or folder 'missing.bin'"),
            ("an empty folder", () => JsonContent.Create(new { path = "nothing-inside" }), 400, "holds no files"),
            ("a misspelt option", () => JsonContent.Create(new { path = "taken.bin", piecelenght = 16384 }), 400, "piecelenght"),
            ("a format of none", () => JsonContent.Create(new { path = "taken.bin", format = "v3" }), 400, "format must be v1, v2 or hybrid"),
            ("a piece length of none", () => JsonContent.Create(new { path = "taken.bin", pieceLength = 1000 }), 400, "power of two"),
            ("a link-local tracker", () => JsonContent.Create(new { path = "taken.bin", trackers = new[] { new[] { "http://169.254.169.254/announce" } } }), 400, "link-local"),
            ("a web seed of ftp", () => JsonContent.Create(new { path = "taken.bin", webSeeds = new[] { "ftp://127.0.0.1/x" } }), 400, "web seed"),
            ("an option after the file", () => Form([], ("late.bin", small)).With("format", "v2"), 400, "send the options before the first file"),
            ("an unknown field", () => Form([("bogus", "1")], ("x.bin", small)), 400, "unknown field 'bogus'"),
            ("a field twice", () => Form([("format", "v1"), ("format", "v2")], ("x.bin", small)), 400, "given twice"),
            ("two plain files", () => Form([], ("one.bin", small), ("two.bin", small)), 400, "share one file, or the files of one folder"),
            ("files of two folders", () => Form([], ("a/one.bin", small), ("b/two.bin", small)), 400, "share one file, or the files of one folder"),
            ("a path up", () => Form([], ("../up.bin", small)), 400, "not a relative path of names"),
            ("a path up inside", () => Form([], ("a/../../up.bin", small)), 400, "not a relative path of names"),
            ("an absolute file name", () => Form([], ("/etc/passwd", small)), 400, "not a relative path of names"),
            ("a file twice", () => Form([], ("a/x.bin", small), ("a/x.bin", small)), 400, "in the upload twice"),
            ("a file and a folder", () => Form([], ("a/x", small), ("a/x/y", small)), 400, "both a file and a folder"),
            ("TorrentLab's name", () => Form([], (".torrentlab/x", small)), 400, "reserved for TorrentLab"),
            ("a name taken", () => Form([], ("taken.bin", small)), 409, "'taken.bin' exists already"),
            ("a folder outside", () => Form([("folder", "../elsewhere")], ("x.bin", small)), 400, "not inside the downloads folder"),
            ("no bytes", () => Form([], ("empty.bin", Array.Empty<byte>())), 400, "holds no data"),
            ("no file", () => Form([("format", "v1")]), 400, "the form has no file"),
            ("a file field of another name", () => Form([]).WithFile("torrent", "x.bin", small), 400, "fields named 'file'"),
            ("a form's text", () => new StringContent("path=taken.bin", Encoding.UTF8, "application/x-www-form-urlencoded"), 415, "unsupported content type"),
        ];
        var answers = new List<string>();
        foreach (var (name, request, _, _) in table)
        {
            using var content = request();
            var (status, _, body) = await ShareAsync(web, content);
            answers.Add($"{name}: {(int)status} {(status == HttpStatusCode.Created ? body : System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("error").GetString())}");
        }

        Assert.All(table.Zip(answers), row =>
        {
            Assert.StartsWith($"{row.First.Name}: {row.First.Status} ", row.Second, StringComparison.Ordinal);
            Assert.Contains(row.First.Says, row.Second, StringComparison.Ordinal);
        });
        // No server path in an error but one the request named itself.
        Assert.All(answers.Where(a => !a.StartsWith("absolute path outside:", StringComparison.Ordinal)), a => Assert.DoesNotContain(outside.Path, a, StringComparison.Ordinal));
        Assert.All(answers, a => Assert.DoesNotContain(web.Downloads.Path, a, StringComparison.Ordinal));
        Assert.Empty(await web.ListAsync(Ct));
        Assert.Equal(before, Tree(web));
        Assert.True(NothingIncoming(web.Downloads.Path));
    }

    [Fact]
    public async Task Share_OnAServerOfTheSinglePeerEngine_Is409_ItCouldNotSeed()
    {
        await using var web = await WebTestServer.StartAsync(Ct); // MaxPeers = 1: the reference engine, which only downloads

        var (status, _, body) = await ShareAsync(web, Form([], ("x.bin", [1, 2, 3])));

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("--max-peers 2 or more", body, StringComparison.Ordinal);
        Assert.False(File.Exists(web.Downloads.Combine("x.bin")));
    }

    [Fact]
    public async Task Upload_ThatWouldFillTheDisk_Is507WithNothingKept_WithOrWithoutALength_AndOneThatFitsIsShared()
    {
        using var folder = new TempFolder("torrentlab-share-full");
        using var disk = Tmpfs.Mount(folder.Combine("disk"), "8m");
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => Sharing(o) with { Downloads = disk.Path });
        var free = new DriveInfo(disk.Path).AvailableFreeSpace;
        var big = TestTorrents.Payload(10 << 20, seed: 9);

        // With its length: refused before the body is sent (the client waits for 100 Continue).
        using var known = new HttpRequestMessage(HttpMethod.Post, "/api/shares") { Content = Form([], ("big.bin", big)) };
        known.Headers.ExpectContinue = true;
        using var knownAnswer = await web.Http.SendAsync(known, Ct);
        var knownBody = await knownAnswer.Content.ReadAsStringAsync(Ct);
        var freeAfterKnown = new DriveInfo(disk.Path).AvailableFreeSpace;
        // Without one (chunked): refused while it is written, and what was written is deleted.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/shares") { Content = new UnknownLength(Form([], ("big.bin", big))) };
        using var chunkedAnswer = await web.Http.SendAsync(chunked, Ct);
        var chunkedBody = await chunkedAnswer.Content.ReadAsStringAsync(Ct);
        var freeAfterChunked = new DriveInfo(disk.Path).AvailableFreeSpace;
        var fits = TestTorrents.Payload(1 << 20, seed: 10);
        var (status, result, body) = await ShareAsync(web, Form([], ("fits.bin", fits)));

        Assert.Equal(HttpStatusCode.InsufficientStorage, knownAnswer.StatusCode);
        Assert.Contains("not enough space in the downloads folder", knownBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.InsufficientStorage, chunkedAnswer.StatusCode);
        Assert.Contains("nearly full", chunkedBody, StringComparison.Ordinal);
        Assert.True(freeAfterKnown >= free - (64 << 10), $"free {free} before, {freeAfterKnown} after the refused upload"); // a few blocks of state at most
        Assert.True(freeAfterChunked >= free - (64 << 10), $"free {free} before, {freeAfterChunked} after the stopped upload");
        Assert.True(status == HttpStatusCode.Created, body);
        Assert.Equal(fits, await File.ReadAllBytesAsync(Path.Combine(disk.Path, "fits.bin"), Ct));
        Assert.False(File.Exists(Path.Combine(disk.Path, "big.bin")));
        Assert.Equal("fits.bin", Assert.Single(await web.ListAsync(Ct)).Name);
        Assert.True(NothingIncoming(disk.Path));
        Assert.NotNull(result);
    }

    [Fact]
    public async Task GetTorrentFile_OfAnAddedTorrent_IsTheFileAdded_AndOfAnUnknownOneIs404()
    {
        await using var web = await WebTestServer.StartAsync(Ct);
        await web.AddAsync(start: false, Ct);

        var bytes = await web.Http.GetByteArrayAsync($"/api/torrents/{web.InfoHash}/torrent", Ct);
        using var unknown = await web.Http.GetAsync($"/api/torrents/{new string('a', 40)}/torrent", Ct);

        Assert.Equal(web.Swarm.Built.TorrentBytes, bytes);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    /// <summary>Every file and folder below the downloads folder but TorrentLab's own (the list is rewritten as it runs).</summary>
    private static string Tree(WebTestServer web) => string.Join("\n", Directory.EnumerateFileSystemEntries(web.Downloads.Path, "*", SearchOption.AllDirectories)
        .Where(p => !p.Contains("/.torrentlab", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

    /// <summary>A body sent chunked: its length is not known beforehand.</summary>
    private sealed class UnknownLength : HttpContent
    {
        private readonly HttpContent _inner;

        public UnknownLength(HttpContent inner)
        {
            _inner = inner;
            Headers.ContentType = inner.Headers.ContentType; // the multipart boundary
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _inner.CopyToAsync(stream, context);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>Forms whose parts come in an order the page never sends.</summary>
internal static class ShareFormExtensions
{
    public static MultipartFormDataContent With(this MultipartFormDataContent form, string field, string value)
    {
        form.Add(new StringContent(value), field);
        return form;
    }

    public static MultipartFormDataContent WithFile(this MultipartFormDataContent form, string field, string name, byte[] data)
    {
        form.Add(new ByteArrayContent(data), field, name);
        return form;
    }
}
