using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>An HTTP server on 127.0.0.1 (Kestrel) serving a folder with byte ranges, as a web seed (BEP 19) would,
/// with a fault a test can switch on for its first request only (later ones are served right): a status code instead
/// of the data, wrong bytes, a body cut short; or, on every request, Range ignored (Python's http.server).</summary>
public sealed class WebSeedServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    /// <summary>What the server does wrong.</summary>
    public enum Fault { None, NotFound, ServerError, ShortBody, WrongBytesOnce, IgnoresRange }

    private WebSeedServer(WebApplication app) => _app = app;

    /// <summary>http://127.0.0.1:PORT (no trailing slash).</summary>
    public string Url { get; private set; } = "";

    /// <summary>Range requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Serves <paramref name="folder"/> under <c>/files/</c>.</summary>
    public static async Task<WebSeedServer> StartAsync(string folder, Fault fault, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new WebSeedServer(app);
        app.MapGet("/files/{**path}", (HttpContext context, string path) => server.ServeAsync(context, Path.Combine(folder, path), fault));
        await app.StartAsync(ct);
        server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return server;
    }

    private async Task ServeAsync(HttpContext context, string path, Fault fault)
    {
        if (Interlocked.Increment(ref _requests) > 1 && fault != Fault.IgnoresRange) fault = Fault.None; // that one on every request
        var response = context.Response;
        if (fault == Fault.NotFound || !File.Exists(path)) { response.StatusCode = 404; return; }
        if (fault == Fault.ServerError) { response.StatusCode = 500; return; }
        var data = await File.ReadAllBytesAsync(path);
        var range = fault == Fault.IgnoresRange ? null : context.Request.GetTypedHeaders().Range?.Ranges.SingleOrDefault(); // 200, all of it
        var from = range?.From ?? 0;
        var to = Math.Min(range?.To ?? data.Length - 1, data.Length - 1);
        var body = data.AsMemory((int)from, (int)(to - from + 1)).ToArray();
        if (fault == Fault.WrongBytesOnce)
            for (var i = 0; i < body.Length; i++) body[i] ^= 0x5a;
        response.StatusCode = range is null ? 200 : 206;
        if (range is not null) response.Headers.ContentRange = $"bytes {from}-{to}/{data.Length}";
        response.ContentLength = body.Length;
        if (fault == Fault.ShortBody)
        {
            await response.Body.WriteAsync(body.AsMemory(0, body.Length / 2));
            context.Abort(); // the connection closes before the promised length
            return;
        }
        await response.Body.WriteAsync(body);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
