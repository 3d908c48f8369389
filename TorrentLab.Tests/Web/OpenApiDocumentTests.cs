using System.Net;
using System.Text.Json;

namespace TorrentLab.Tests.Web;

/// <summary>The OpenAPI document is written from the routes, and the page and the docs page are served from the
/// embedded files with nothing loaded from elsewhere.</summary>
public class OpenApiDocumentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenApi_ListsEveryRouteWithItsMethodsParametersAndSchemas()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var doc = JsonDocument.Parse(await web.Http.GetStringAsync("/openapi/v1.json", Ct));
        var paths = doc.RootElement.GetProperty("paths");

        Assert.Equal("3.0.3", doc.RootElement.GetProperty("openapi").GetString());
        Assert.Equal(["get", "post"], Methods(paths, "/api/torrents"));
        Assert.Equal(["delete", "get"], Methods(paths, "/api/torrents/{infoHash}"));
        Assert.Equal(["post"], Methods(paths, "/api/torrents/{infoHash}/start"));
        Assert.Equal(["post"], Methods(paths, "/api/torrents/{infoHash}/pause"));
        Assert.Equal(["get"], Methods(paths, "/api/torrents/{infoHash}/trace"));
        var remove = paths.GetProperty("/api/torrents/{infoHash}").GetProperty("delete");
        Assert.Equal(["infoHash", "deleteData"], remove.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        var add = paths.GetProperty("/api/torrents").GetProperty("post");
        Assert.True(add.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.True(add.GetProperty("responses").TryGetProperty("413", out _));
        Assert.True(add.GetProperty("responses").TryGetProperty("415", out _)); // text/plain: what a foreign form posts
        var summary = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("TorrentSummary").GetProperty("properties");
        Assert.Equal("integer", summary.GetProperty("piecesDone").GetProperty("type").GetString()); // the API's own camelCase names
    }

    private static string[] Methods(JsonElement paths, string path) =>
        [.. paths.GetProperty(path).EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/docs", "text/html")]
    [InlineData("/app.js", "text/javascript")]
    [InlineData("/app.css", "text/css")]
    [InlineData("/docs.js", "text/javascript")]
    [InlineData("/favicon.svg", "image/svg+xml")]
    public async Task Page_EmbeddedFile_IsServedWithItsTypeAndNoExternalReferences(string path, string type)
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.GetAsync(path, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain("https://", text.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("//cdn", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_UnknownFile_Is404()
    {
        await using var web = await WebTestServer.StartAsync(Ct);

        using var response = await web.Http.GetAsync("/..%2f..%2fetc%2fpasswd", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
