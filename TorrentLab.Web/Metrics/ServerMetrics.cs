using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Prometheus;

namespace TorrentLab.Web;

/// <summary><c>GET /metrics</c>: what the server is doing, in Prometheus' text format (0.0.4), for a Prometheus that
/// scrapes it, so a self-hoster graphs it without a sidecar polling an API. Each torrent's series come from the rows of
/// <see cref="TorrentFields"/> that name a metric (<see cref="TorrentField.Metric"/>: a new one is one row there),
/// labelled with its info hash and name; the server's own are the torrents in each state, the rates and peers over them,
/// the trackers that answered or failed, the DHT's nodes and the downloads folder's free space; the process's (memory,
/// CPU, threads) come from the library. Behind the API's token when the server has one (<see cref="TokenGate"/>).</summary>
/// <remarks>The figures are read when a scrape comes, not kept up to date between scrapes: a server of ten thousand
/// torrents that nobody scrapes pays nothing. A torrent removed, or renamed, loses its series at the next scrape.</remarks>
internal sealed class ServerMetrics
{
    public const string Path = "/metrics";

    private readonly TorrentManager _torrents;
    private readonly FieldSource _source;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly (TorrentField Field, Gauge? Gauge, Counter? Counter)[] _perTorrent;
    private readonly Gauge _states, _downloadRate, _uploadRate, _peers, _trackers, _dhtNodes, _freeSpace;
    private readonly Dictionary<string, string> _labelled = new(StringComparer.Ordinal); // info hash -> name, at the last scrape
    private readonly HashSet<string> _statesSeen = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    private ServerMetrics(TorrentManager torrents, int maxPeers)
    {
        _torrents = torrents;
        _source = new FieldSource(torrents, maxPeers);
        var factory = Metrics.WithCustomRegistry(_registry);
        string[] perTorrent = ["info_hash", "name"];
        _perTorrent = [.. TorrentFields.All.Where(f => f.Metric is not null).Select(f => f.Metric!.Counter
            ? (f, (Gauge?)null, (Counter?)factory.CreateCounter(f.Metric.Name, f.Metric.Help, perTorrent))
            : (f, factory.CreateGauge(f.Metric.Name, f.Metric.Help, perTorrent), null))];
        _states = factory.CreateGauge("torrentlab_torrents", "Torrents in each state.", "state");
        _downloadRate = factory.CreateGauge("torrentlab_download_rate_bytes", "Payload download rate of every torrent, bytes per second.");
        _uploadRate = factory.CreateGauge("torrentlab_upload_rate_bytes", "Payload upload rate of every torrent, bytes per second.");
        _peers = factory.CreateGauge("torrentlab_peers", "Peers connected now, over every torrent.");
        _trackers = factory.CreateGauge("torrentlab_trackers", "Trackers whose last announce was answered (working) or failed (failing), over every torrent.", "status");
        _dhtNodes = factory.CreateGauge("torrentlab_dht_nodes", "Nodes in the DHT's routing table (0 without the DHT).");
        _freeSpace = factory.CreateGauge("torrentlab_free_space_bytes", "Free bytes on the filesystem of the downloads folder.");
        DotNetStats.Register(_registry); // process_* and dotnet_*: memory, CPU seconds, threads, collections
        _registry.AddBeforeCollectCallback(Read);
    }

    /// <summary>Maps <see cref="Path"/>.</summary>
    public static void Map(WebApplication app, TorrentManager torrents, WebServerOptions options)
    {
        var metrics = new ServerMetrics(torrents, options.MaxPeers);
        app.MapGet(Path, metrics.WriteAsync).ExcludeFromDescription();
    }

    private async Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8"; // the text format's
        // One scrape at a time: the callback sets the series the export then reads.
        await _oneAtATime.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            await _registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Sets every series from the torrents as they are now.</summary>
    private void Read()
    {
        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        var (down, up, peers, working, failing) = (0.0, 0.0, 0L, 0, 0);
        var now = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var torrent in _torrents.All)
        {
            var view = new FieldView(torrent, torrent.Summary(), _source);
            var summary = view.Summary;
            now[summary.InfoHash] = summary.Name;
            if (_labelled.TryGetValue(summary.InfoHash, out var was) && was != summary.Name) Forget(summary.InfoHash, was);
            foreach (var (field, gauge, counter) in _perTorrent)
            {
                if (field.Value(view).Number is not { } value) continue;
                gauge?.WithLabels(summary.InfoHash, summary.Name).Set(value);
                counter?.WithLabels(summary.InfoHash, summary.Name).IncTo(value);
            }
            states[summary.State] = states.GetValueOrDefault(summary.State) + 1;
            (down, up, peers) = (down + summary.DownloadRate, up + summary.UploadRate, peers + summary.Peers);
            foreach (var announce in torrent.Announces.Values)
            {
                if (announce.Succeeded) working++;
                else failing++;
            }
        }
        foreach (var (hash, name) in _labelled) if (!now.ContainsKey(hash)) Forget(hash, name);
        _labelled.Clear();
        foreach (var (hash, name) in now) _labelled[hash] = name;
        _statesSeen.UnionWith(states.Keys);
        foreach (var state in _statesSeen) _states.WithLabels(state).Set(states.GetValueOrDefault(state)); // a state left shows 0
        _downloadRate.Set(down);
        _uploadRate.Set(up);
        _peers.Set(peers);
        _trackers.WithLabels("working").Set(working);
        _trackers.WithLabels("failing").Set(failing);
        _dhtNodes.Set(_torrents.Session.DhtNodes);
        try { _freeSpace.Set(new DriveInfo(_torrents.Downloads).AvailableFreeSpace); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { } // the last figure stays
    }

    private void Forget(string infoHash, string name)
    {
        foreach (var (_, gauge, counter) in _perTorrent)
        {
            gauge?.RemoveLabelled(infoHash, name);
            counter?.RemoveLabelled(infoHash, name);
        }
    }
}
