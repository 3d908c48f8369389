using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>A server with many torrents, a few of them downloading slowly: its saved list is written before it starts
/// (adding 10,000 torrents through the API would take most of a minute), the idle ones paused, the running ones each fed
/// by a slow synthetic seeder named in their entry as a magnet link's peer would be. Shared by the page's scale test and
/// its benchmark (<c>bench/web/page_scale.sh</c>).</summary>
internal sealed class PageScaleRig : IAsyncDisposable
{
    /// <summary>Pieces of a running torrent: with a block every <see cref="BlockDelay"/>, about 5 minutes of progress for
    /// the live updates the page's test waits for. Its seeder never has the last piece, so a running torrent is
    /// downloading at the test's end however slow the machine (a run with coverage beside two busy loops took 2.5
    /// minutes, and a torrent that completed left the "downloading" filter under the test's feet).</summary>
    private const int RunningPieces = 3000;
    private static readonly TimeSpan BlockDelay = TimeSpan.FromMilliseconds(100);

    private readonly List<SyntheticPeer> _peers;

    private PageScaleRig(TempFolder downloads, List<SyntheticPeer> peers, WebServer server, IReadOnlyList<string> running)
    {
        Downloads = downloads;
        _peers = peers;
        Server = server;
        Running = running;
    }

    public TempFolder Downloads { get; }
    public WebServer Server { get; }

    /// <summary>The info hashes of the running torrents, newest first (the page's default order).</summary>
    public IReadOnlyList<string> Running { get; }

    /// <summary>Names: <c>idle-00000.bin</c> for the paused torrents, <c>run-09950.bin</c> for the running ones, which are
    /// the newest (at the top of the page's default order, newest first).</summary>
    public static async Task<PageScaleRig> StartAsync(int torrents, int running, CancellationToken ct)
    {
        var downloads = new TempFolder("torrentlab-scale");
        var peers = new List<SyntheticPeer>();
        try
        {
            var store = new TorrentListStore(DataPlaces.FullPath(downloads.Path));
            Directory.CreateDirectory(store.Folder);
            var payload = TestTorrents.Payload(RunningPieces * 16 * 1024); // one payload, many names: many info hashes
            var entries = new List<TorrentEntry>(torrents);
            var since = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            var runningHashes = new List<string>();
            for (var i = 0; i < torrents; i++)
            {
                var runs = i >= torrents - running;
                var built = runs
                    ? TestTorrents.SingleFile(payload.Length, name: $"run-{i:D5}.bin", announce: null)
                    : TestTorrents.SingleFile(1000, name: $"idle-{i:D5}.bin", announce: null, seed: i);
                var hash = built.Torrent.InfoHash.Hex;
                File.WriteAllBytes(store.TorrentPath(hash), built.TorrentBytes);
                string[]? linkPeers = null;
                if (runs)
                {
                    var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, payload, SyntheticBehaviour.Slow) with
                    {
                        SlowDelay = BlockDelay, MaxConnections = 16,
                        HasPieces = Enumerable.Range(0, RunningPieces - 1).ToHashSet(),
                    });
                    peers.Add(peer);
                    linkPeers = [$"127.0.0.1:{peer.EndPoint.Port}"];
                    runningHashes.Insert(0, hash);
                }
                entries.Add(new TorrentEntry(hash, built.Torrent.Name, since.AddSeconds(i), runs) { Peers = linkPeers });
            }
            store.Save(entries);
            var options = WebTestServer.Options(downloads.Path) with { MaxActiveDownloads = Math.Max(1, running) };
            var server = await WebServer.StartAsync(options, ct);
            return new PageScaleRig(downloads, peers, server, runningHashes);
        }
        catch
        {
            foreach (var peer in peers) await peer.DisposeAsync();
            downloads.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        foreach (var peer in _peers) await peer.DisposeAsync();
        Downloads.Dispose();
    }
}
