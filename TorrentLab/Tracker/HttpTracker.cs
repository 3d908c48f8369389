using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using TorrentLab.Metainfo;
using TorrentLab.Network;

namespace TorrentLab.Tracker;

/// <summary>An HTTP(S) tracker (BEP 3): one GET per announce or scrape, with a time and size limit.</summary>
internal sealed class HttpTracker(string url, TrackerClientOptions options) : ITrackerTransport
{
    // One client per dialer (for the kernel's network, one for the process): connections are pooled per tracker,
    // among the requests of one network only (a simulated host's connection is its own). No proxy: a tracker is
    // dialled directly.
    private static readonly ConditionalWeakTable<HostDialer, HttpClient> Clients = new();

    private static HttpClient ClientFor(HostDialer dialer) => Clients.GetValue(dialer, static dialer =>
    {
        // Every connection, the first and each redirect's, dials only what the address policy allows after DNS.
        var handler = NetworkHttp.Handler(dialer.Network, TimeSpan.FromMinutes(2),
            (context, ct) => dialer.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, PeerScope.Any, ct));
        handler.AllowAutoRedirect = false; // followed by hand, only to the same scheme and kind of host (TrackerRedirect)
        handler.AutomaticDecompression = DecompressionMethods.All; // trackers may gzip their answer
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }; // each request gets its own limit below
    });

    public string Url { get; } = url;

    public async Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken ct)
    {
        var body = await GetAsync(HttpTrackerUrl.Announce(Url, request), ct).ConfigureAwait(false);
        return HttpTrackerResponse.ParseAnnounce(body);
    }

    public async Task<ScrapeResult> ScrapeAsync(InfoHash infoHash, CancellationToken ct)
    {
        var scrapeUrl = HttpTrackerUrl.Scrape(Url)
            ?? throw new TrackerException("this tracker has no scrape URL (its path does not end in 'announce...')");
        var body = await GetAsync(HttpTrackerUrl.ScrapeRequest(scrapeUrl, infoHash), ct).ConfigureAwait(false);
        return HttpTrackerResponse.ParseScrape(body, infoHash);
    }

    /// <summary>GETs a URL and returns the body; every transport failure becomes one <see cref="TrackerException"/>.</summary>
    private async Task<byte[]> GetAsync(string requestUrl, CancellationToken ct)
    {
        using var limit = new Deadline(options.HttpTimeout, options.Time, ct);
        try
        {
            var uri = new Uri(requestUrl, UriKind.Absolute);
            var response = await SendAsync(uri, limit.Token).ConfigureAwait(false);
            for (var hops = 0; TrackerRedirect.IsRedirect(response.StatusCode); hops++)
            {
                var target = TrackerRedirect.Target(uri, response.Headers.Location, hops);
                response.Dispose();
                uri = target;
                response = await SendAsync(uri, limit.Token).ConfigureAwait(false);
            }
            using var _ = response;
            var body = await ReadCappedAsync(response.Content, limit.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                // Some trackers send their failure reason with a 4xx status; prefer their words to the status line.
                if (body.Length > 0 && body[0] == (byte)'d') HttpTrackerResponse.ParseAnnounce(body);
                throw new TrackerException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            return body;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TrackerException($"no answer within {options.HttpTimeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e) when (e.InnerException is TrackerException refused)
        {
            throw new TrackerException(refused.Message, e);   // the address policy refused the host (HostDialer)
        }
        catch (HttpRequestException e)
        {
            throw new TrackerException(e.InnerException is SocketException s ? $"cannot connect: {s.Message}" : e.Message, e);
        }
        catch (UriFormatException e)
        {
            throw new TrackerException($"invalid tracker URL: {e.Message}", e);
        }
        catch (IOException e) // the connection broke while the body was read
        {
            throw new TrackerException($"the connection broke: {e.Message}", e);
        }
        catch (InvalidDataException e) // corrupt gzip
        {
            throw new TrackerException($"the compressed answer is corrupt: {e.Message}", e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Uri uri, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, uri);
        message.Headers.UserAgent.Add(ProductInfoHeaderValue.Parse(options.UserAgent));
        message.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        return await ClientFor(options.Dialer).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
    }

    private async Task<byte[]> ReadCappedAsync(HttpContent content, CancellationToken ct)
    {
        if (content.Headers.ContentLength > options.MaxResponseBytes) throw TooLarge();
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > options.MaxResponseBytes) throw TooLarge();
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private TrackerException TooLarge() => new($"the answer is larger than {options.MaxResponseBytes} bytes");
}
