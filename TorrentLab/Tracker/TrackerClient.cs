using TorrentLab.Metainfo;

namespace TorrentLab.Tracker;

/// <summary>Announces to and scrapes a torrent's trackers, walking the BEP 12 tiers over HTTP and UDP.</summary>
/// <remarks>BEP 12: "The tiers of announces will be processed sequentially; all URLs in each tier must be checked
/// before the client goes on to the next tier. URLs within each tier will be processed in a randomly chosen order;
/// in other words, the list will be shuffled when first read, and then parsed in order. In addition, if a connection
/// with a tracker is successful, it will be moved to the front of the tier." Safe to call from several tasks.</remarks>
public sealed class TrackerClient : IDisposable
{
    private readonly List<List<string>> _tiers;
    private readonly TrackerClientOptions _options;
    private readonly Dictionary<string, ITrackerTransport> _transports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _trackerIds = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    // BEP 3 "key": one random value for the client's life, so the tracker can tell us apart if our address changes.
    private readonly uint _key = (uint)Randomness.SecretInt32(int.MaxValue);

    /// <summary>Creates a client over tiers of tracker URLs (<c>Torrent.TrackerTiers</c> gives tiers or the plain announce).</summary>
    public TrackerClient(IReadOnlyList<IReadOnlyList<string>> tiers, TrackerClientOptions? options = null)
    {
        _options = options ?? new TrackerClientOptions();
        _tiers = tiers.Select(tier => tier.Where(url => !string.IsNullOrWhiteSpace(url)).ToList()).Where(tier => tier.Count > 0).ToList();
        if (_options.ShuffleTiers)
            foreach (var tier in _tiers) Randomness.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tier));
    }

    /// <summary>The tiers in the order they are tried now (shuffled once, answering trackers moved to the front).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Tiers
    {
        get { lock (_lock) return _tiers.Select(tier => (IReadOnlyList<string>)tier.ToArray()).ToArray(); }
    }

    /// <summary>The URL of the tracker that answered last, or null before any answer.</summary>
    public string? LastAnswered { get; private set; }

    /// <summary>The URL asked last (or being asked now), answered or not: a UDP tracker that never answers takes
    /// minutes to fail (BEP 15's retries), and a caller that gives up sooner can still name it.</summary>
    internal string? LastAsked { get; private set; }

    /// <summary>Announces to the first tracker that answers.</summary>
    /// <exception cref="TrackerException">Every tracker failed; the message names each one and its error.</exception>
    public Task<AnnounceResponse> AnnounceAsync(AnnounceRequest request, CancellationToken ct) =>
        WalkAsync(async (transport, token) =>
        {
            string? trackerId;
            lock (_lock) _trackerIds.TryGetValue(transport.Url, out trackerId);
            var sent = request with { Key = request.Key != 0 ? request.Key : _key, TrackerId = request.TrackerId ?? trackerId };
            var response = await transport.AnnounceAsync(sent, token).ConfigureAwait(false);
            // BEP 3: "tracker id: A string that the client should send back on its next announcements."
            if (response.TrackerId is not null) lock (_lock) _trackerIds[transport.Url] = response.TrackerId;
            return response;
        }, ct);

    /// <summary>Scrapes the first tracker that answers: seeders, leechers and completed downloads.</summary>
    /// <exception cref="TrackerException">Every tracker failed; the message names each one and its error.</exception>
    public Task<ScrapeResult> ScrapeAsync(InfoHash infoHash, CancellationToken ct) =>
        WalkAsync((transport, token) => transport.ScrapeAsync(infoHash, token), ct);

    private async Task<T> WalkAsync<T>(Func<ITrackerTransport, CancellationToken, Task<T>> call, CancellationToken ct)
    {
        var errors = new List<(string Url, TrackerException Error)>();
        List<List<string>> order;
        lock (_lock) order = _tiers.Select(tier => tier.ToList()).ToList();
        foreach (var (tier, index) in order.Select((tier, index) => (tier, index)))
        {
            foreach (var url in tier)
            {
                ct.ThrowIfCancellationRequested();
                LastAsked = url;
                try
                {
                    var result = await call(Transport(url), ct).ConfigureAwait(false);
                    MoveToFront(index, url);
                    LastAnswered = url;
                    return result;
                }
                catch (TrackerException e)
                {
                    errors.Add((url, e));
                }
            }
        }
        if (errors.Count == 0) throw new TrackerException("no tracker to ask: the torrent has no announce URL");
        if (errors.Count == 1)
            throw new TrackerException($"{errors[0].Url}: {errors[0].Error.Message}", errors[0].Error) { FailureReason = errors[0].Error.FailureReason };
        throw new TrackerException($"all {errors.Count} trackers failed: " + string.Join("; ", errors.Select(e => $"{e.Url}: {e.Error.Message}")),
            new AggregateException(errors.Select(e => e.Error)));
    }

    private void MoveToFront(int tierIndex, string url)
    {
        lock (_lock)
        {
            var tier = _tiers[tierIndex];
            if (tier.Remove(url)) tier.Insert(0, url);
        }
    }

    /// <summary>Closes the UDP sockets kept for connection-id reuse.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var transport in _transports.Values) (transport as IDisposable)?.Dispose();
            _transports.Clear();
        }
    }

    private ITrackerTransport Transport(string url)
    {
        lock (_lock)
        {
            if (_transports.TryGetValue(url, out var existing)) return existing;
            ITrackerTransport created = url switch
            {
                _ when url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                    => new HttpTracker(url, _options),
                _ when url.StartsWith("udp://", StringComparison.OrdinalIgnoreCase) => new UdpTracker(url, _options),
                _ => throw new TrackerException($"unsupported tracker URL scheme (expected http, https or udp)"),
            };
            _transports[url] = created;
            return created;
        }
    }
}
