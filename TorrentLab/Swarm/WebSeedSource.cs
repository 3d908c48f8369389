using System.Net;
using System.Net.Sockets;
using TorrentLab.Metainfo;
using TorrentLab.Network;
using TorrentLab.Tracker;

namespace TorrentLab.Swarm;

/// <summary>The HTTP side of a web seed (BEP 19, GetRight style): the URL of each file, and byte ranges of it fetched
/// with <c>HttpClient</c>, dialling only addresses the peer policy allows.</summary>
internal sealed class WebSeedSource : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _base;
    private readonly Torrent _torrent;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    /// <param name="url">The <c>url-list</c> entry; http or https only.</param>
    /// <param name="torrent">The torrent whose files it serves.</param>
    /// <param name="scope">Which addresses its host may resolve to (as for peers).</param>
    /// <param name="timeout">Longest wait for one range.</param>
    /// <param name="dialer">How its host is resolved and connected to (the session's network).</param>
    /// <param name="time">The clock of <paramref name="timeout"/> (the session's).</param>
    public WebSeedSource(string url, Torrent torrent, PeerScope scope, TimeSpan timeout, HostDialer? dialer = null, TimeProvider? time = null)
    {
        _base = url;
        _torrent = torrent;
        _timeout = timeout;
        _time = time ?? TimeProvider.System;
        dialer ??= HostDialer.System;
        var handler = NetworkHttp.Handler(dialer.Network, Timeout.InfiniteTimeSpan, (context, ct) => ConnectAsync(dialer, context.DnsEndPoint, scope, ct));
        handler.AllowAutoRedirect = true;
        handler.MaxAutomaticRedirections = 5;
        handler.UseCookies = true;
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }; // each range gets its limit on our clock
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("TorrentLab/0.1");
    }

    /// <summary>True for the URLs we use: absolute http or https with a host.</summary>
    public static bool IsUsable(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0;

    /// <summary>The URL of one file. BEP 19: for a single-file torrent the URL is the file, unless it ends in '/',
    /// then the client "must add the name"; for a multi-file torrent the name and path are appended to it.</summary>
    public Uri FileUrl(TorrentFile file)
    {
        var segments = string.Join('/', (file.SourcePathSegments ?? file.PathSegments).Select(Uri.EscapeDataString));
        if (!_torrent.IsMultiFile && !_base.EndsWith('/')) return new Uri(_base);
        return new Uri(_base.EndsWith('/') ? _base + segments : _base + "/" + segments);
    }

    /// <summary>Why the server is no use as a web seed: it answers range requests with the whole file; null while it
    /// honours them.</summary>
    public string? RangesIgnored { get; private set; }

    /// <summary>Reads bytes <paramref name="start"/>.. of <paramref name="file"/> into <paramref name="into"/>
    /// (the whole span) with one range request.</summary>
    /// <exception cref="SwarmException">An HTTP error, a response of the wrong range, the whole file for a range that
    /// does not start it (<see cref="RangesIgnored"/>), a body that ended early, or no answer in time.</exception>
    public async Task ReadAsync(TorrentFile file, long start, Memory<byte> into, CancellationToken ct)
    {
        using var limit = new Deadline(_timeout, _time, ct);
        try
        {
            await ReadRangeAsync(file, start, into, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SwarmException("no answer in time");
        }
    }

    private async Task ReadRangeAsync(TorrentFile file, long start, Memory<byte> into, CancellationToken ct)
    {
        var url = FileUrl(file);
        var end = start + into.Length - 1;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(start, end);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        // RFC 9110, 14.2: a server MAY ignore Range and answer 200 with the whole file (Python's http.server does).
        // Asked for a file's first bytes, its answer starts with them: they are used. Every later range would bring the
        // file again from its start, so such a server is not asked again (RangesIgnored).
        var whole = response.StatusCode == HttpStatusCode.OK;
        if (whole && (start > 0 || response.Content.Headers.ContentLength > into.Length))
            RangesIgnored ??= $"the server ignores HTTP Range requests (asked for bytes {start}-{end} of {url}, it answered 200 with " +
                $"{(response.Content.Headers.ContentLength is { } all ? $"all {all} bytes" : "the whole file")})";
        if (whole && start > 0) throw new SwarmException(RangesIgnored!);
        if (response.StatusCode != HttpStatusCode.PartialContent && !whole)
            throw new SwarmException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase} for bytes {start}-{end} of {url}");
        if (!whole && response.Content.Headers.ContentRange is { From: { } from } && from != start)
            throw new SwarmException($"asked for bytes {start}-{end} of {url}, got a range from {from}");
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var read = 0;
        while (read < into.Length)
        {
            var n = await body.ReadAsync(into[read..], ct).ConfigureAwait(false);
            if (n == 0) throw new SwarmException($"the server closed after {read} of {into.Length} bytes ({start}-{end} of {url})");
            read += n;
        }
    }

    /// <summary>Connects to the first address of <paramref name="host"/> the policy allows, after name resolution
    /// (<see cref="HostDialer"/>); refuses a host that resolves only to unspecified, broadcast, multicast or link-local
    /// addresses (or outside the scope).</summary>
    private static async ValueTask<Stream> ConnectAsync(HostDialer dialer, DnsEndPoint host, PeerScope scope, CancellationToken ct)
    {
        try
        {
            return await dialer.ConnectAsync(host.Host, host.Port, scope, ct).ConfigureAwait(false);
        }
        catch (TrackerException e)
        {
            throw new SwarmException($"web seed: {e.Message}");
        }
    }

    public void Dispose() => _http.Dispose();
}
