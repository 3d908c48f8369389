using System.Collections.Concurrent;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>An HTTP server on 127.0.0.1 and a free port (WireMock.Net, <see cref="StubHttp"/>) that answers the
/// documents a test puts at paths (a feed, a .torrent, a blocklist), 404 for any other, and counts the requests of each
/// path.</summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly WireMockServer _server = StubHttp.Start();
    private readonly ConcurrentDictionary<string, Guid> _mappings = new(StringComparer.Ordinal);

    /// <summary>http://127.0.0.1:PORT (no trailing slash).</summary>
    public string Url => _server.Url!;

    public static Task<LoopbackHttpServer> StartAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(new LoopbackHttpServer());
    }

    /// <summary>Answers <paramref name="body"/> at <paramref name="path"/> (starting with '/') from now on.</summary>
    public string Put(string path, byte[] body, string type = "application/octet-stream")
    {
        // One mapping per path: putting a path again replaces its document (same mapping id).
        var id = _mappings.GetOrAdd(path, _ => Guid.NewGuid());
        _server.Given(Request.Create().WithPath(path).UsingAnyMethod()).WithGuid(id)
            .RespondWith(Response.Create().WithHeader("Content-Type", type).WithBody(body));
        return Url + path;
    }

    /// <summary>Requests made for <paramref name="path"/> so far.</summary>
    public int Requests(string path) => _server.LogEntries.Count(entry => entry.RequestMessage.Path == path);

    public ValueTask DisposeAsync()
    {
        _server.Stop();
        _server.Dispose();
        return ValueTask.CompletedTask;
    }
}
