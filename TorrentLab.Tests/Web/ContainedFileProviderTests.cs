using System.Net;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary><c>--transmission-web DIR</c> serves the files of DIR at <c>/transmission/web/</c>, and nothing whose real
/// path leaves DIR: a symbolic link inside it to a file or folder outside answers 404, as a missing file does.</summary>
public class ContainedFileProviderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("index.html", HttpStatusCode.OK)]
    [InlineData("", HttpStatusCode.OK)]                    // the folder's index.html
    [InlineData("inside.html", HttpStatusCode.OK)]         // a link to a file inside: its real path stays in
    [InlineData("secret.txt", HttpStatusCode.NotFound)]    // a link to a file outside
    [InlineData("out/secret.txt", HttpStatusCode.NotFound)] // a file in a linked folder outside
    [InlineData("out/", HttpStatusCode.NotFound)]          // that folder's own index.html
    [InlineData("missing.html", HttpStatusCode.NotFound)]
    public async Task TransmissionWeb_ServesOnlyWhatLiesInItsFolder_ALinkLeadingOutIs404(string path, HttpStatusCode expected)
    {
        if (!OperatingSystem.IsLinux() && path == "inside.html") Assert.Skip("elsewhere every link below the folder is refused");
        using var downloads = new TempFolder();
        using var web = new TempFolder("torrentlab-tweb");
        using var outside = new TempFolder("torrentlab-outside");
        File.WriteAllText(web.Combine("index.html"), "<html>transmission</html>");
        File.WriteAllText(outside.Combine("secret.txt"), "not for the web");
        File.WriteAllText(outside.Combine("index.html"), "<html>outside</html>");
        File.CreateSymbolicLink(web.Combine("inside.html"), web.Combine("index.html"));
        File.CreateSymbolicLink(web.Combine("secret.txt"), outside.Combine("secret.txt"));
        Directory.CreateSymbolicLink(web.Combine("out"), outside.Path);
        await using var server = await WebServer.StartAsync(WebTestServer.Options(downloads.Path) with { TransmissionWeb = web.Path }, Ct);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        using var response = await http.GetAsync("/transmission/web/" + path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK) Assert.Equal("<html>transmission</html>", body);
        else Assert.DoesNotContain("outside", body);
        Assert.DoesNotContain("not for the web", body);
    }
}
