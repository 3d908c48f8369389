using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TorrentLab.Web;

/// <summary>Serves the page (plain HTML, CSS and JavaScript from <c>Web/wwwroot</c>), embedded in the assembly so the
/// tool works from any folder. No build step, no external assets: what is in the folder is what the browser gets.</summary>
internal static class StaticAssets
{
    private const string Prefix = "TorrentLab.Web.wwwroot.";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8", [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8", [".svg"] = "image/svg+xml", [".json"] = "application/json",
    };

    /// <summary>The embedded files by name (<c>index.html</c>, <c>app.js</c>...), loaded once.</summary>
    private static readonly Lazy<Dictionary<string, (byte[] Bytes, string ETag)>> Files = new(Load);

    public static void Map(IEndpointRouteBuilder app)
    {
        // HEAD as GET (RFC 9110 9.3.2: the same head, no body; Kestrel leaves the body out), for monitors and link checkers.
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/", methods, (HttpContext context) => Serve(context, "index.html")).ExcludeFromDescription();
        app.MapMethods("/docs", methods, (HttpContext context) => Serve(context, "docs.html")).ExcludeFromDescription();
        // Only embedded names are served: the lookup is the whitelist, so no path can reach the file system.
        app.MapMethods("/{file}", methods, (HttpContext context, string file) => Serve(context, file)).ExcludeFromDescription();
    }

    /// <summary>The names of the embedded files (for tests).</summary>
    public static IReadOnlyCollection<string> Names => Files.Value.Keys;

    private static IResult Serve(HttpContext context, string name)
    {
        if (!Files.Value.TryGetValue(name, out var file)) return Results.NotFound();
        context.Response.Headers.ETag = file.ETag;
        context.Response.Headers.CacheControl = "no-cache"; // revalidate: a new build of the tool serves new files
        // The page loads nothing from elsewhere, posts forms nowhere and may not be framed (clickjacking); say so to the browser.
        context.Response.Headers.ContentSecurityPolicy =
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
        if (context.Request.Headers.IfNoneMatch == file.ETag) return Results.StatusCode(304);
        return Results.Bytes(file.Bytes, ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream"));
    }

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            files[resource[Prefix.Length..]] = (bytes, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }
        return files;
    }
}
