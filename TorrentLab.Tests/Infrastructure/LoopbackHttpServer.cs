using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>An HTTP server on 127.0.0.1 and a free port that answers the documents a test puts at paths (a feed, a
/// .torrent, a blocklist), 404 for any other, and counts the requests of each path.</summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (byte[] Body, string Type)> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);

    private LoopbackHttpServer(WebApplication app) => _app = app;

    /// <summary>http://127.0.0.1:PORT (no trailing slash).</summary>
    public string Url { get; private set; } = "";

    public static async Task<LoopbackHttpServer> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new LoopbackHttpServer(app);
        app.Run(server.AnswerAsync);
        await app.StartAsync(ct);
        server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    /// <summary>Answers <paramref name="body"/> at <paramref name="path"/> (starting with '/') from now on.</summary>
    public string Put(string path, byte[] body, string type = "application/octet-stream")
    {
        _documents[path] = (body, type);
        return Url + path;
    }

    /// <summary>Requests made for <paramref name="path"/> so far.</summary>
    public int Requests(string path) => _requests.GetValueOrDefault(path);

    private async Task AnswerAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (!_documents.TryGetValue(path, out var document))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        context.Response.ContentType = document.Type;
        context.Response.ContentLength = document.Body.Length;
        await context.Response.Body.WriteAsync(document.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
