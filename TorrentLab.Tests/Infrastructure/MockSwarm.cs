using System.Net;
using System.Security.Cryptography;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>The mock swarm: a torrent, our in-process tracker and synthetic seeders on loopback, each announced to the
/// tracker (or handed to a downloader directly as an extra peer).</summary>
internal sealed class MockSwarm : IAsyncDisposable
{
    private readonly List<SyntheticPeer> _peers = [];

    private MockSwarm(TestTorrents.Built built, TrackerServer tracker)
    {
        Built = built;
        Tracker = tracker;
    }

    public TestTorrents.Built Built { get; }
    public TrackerServer Tracker { get; }

    /// <summary>A scratch folder for downloads, deleted with the swarm.</summary>
    public TempFolder Folder { get; } = new("torrentlab-swarm");

    public IReadOnlyList<SyntheticPeer> Peers => _peers;

    /// <summary>Starts a tracker, builds the torrent for its announce URL, then starts and announces one synthetic
    /// seeder per options tweak (behaviour and its parameters), in order.</summary>
    public static async Task<MockSwarm> StartAsync(Func<string, TestTorrents.Built> makeTorrent,
        IEnumerable<Func<SyntheticPeerOptions, SyntheticPeerOptions>> peers, CancellationToken ct)
    {
        var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Interval = TimeSpan.FromMinutes(30) }, ct);
        var swarm = new MockSwarm(makeTorrent(tracker.HttpAnnounceUrl), tracker);
        foreach (var tweak in peers) await swarm.AddAsync(SyntheticBehaviour.Normal, announce: true, ct, tweak);
        return swarm;
    }

    /// <summary>Shorthand: seeders that differ only in behaviour.</summary>
    public static Task<MockSwarm> StartAsync(Func<string, TestTorrents.Built> makeTorrent, IEnumerable<SyntheticBehaviour> behaviours,
        CancellationToken ct) =>
        StartAsync(makeTorrent, behaviours.Select(b => (Func<SyntheticPeerOptions, SyntheticPeerOptions>)(o => o with { Behaviour = b })), ct);

    /// <summary>A multi-file torrent of about <paramref name="totalBytes"/> and no seeders yet (add them with
    /// <see cref="AddAsync"/>).</summary>
    public static Task<MockSwarm> StartAsync(int totalBytes, int pieceLength, CancellationToken ct) =>
        StartAsync(url => ThreeFiles(totalBytes, pieceLength, url), Array.Empty<SyntheticBehaviour>(), ct);

    /// <summary>The mock swarm's multi-file torrent: three files of about <paramref name="totalBytes"/> in all.</summary>
    public static TestTorrents.Built ThreeFiles(int totalBytes, int pieceLength, string? announce)
    {
        var third = totalBytes / 3;
        return TestTorrents.MultiFile([("a.bin", third), ("sub/b.bin", third + 1234), ("sub/c.bin", totalBytes - 2 * third - 1234)],
            pieceLength, name: "swarm", announce: announce);
    }

    /// <summary>Starts a synthetic seeder; <paramref name="announce"/> registers it with the tracker (else pass its
    /// endpoint as an extra peer).</summary>
    public async Task<SyntheticPeer> AddAsync(SyntheticBehaviour behaviour, bool announce, CancellationToken ct,
        Func<SyntheticPeerOptions, SyntheticPeerOptions>? configure = null)
    {
        var options = SyntheticPeerOptions.ForTorrent(Built.Torrent, Built.Payload, behaviour) with { MaxConnections = 16 };
        if (configure is not null) options = configure(options);
        var peer = SyntheticPeer.Start(options);
        _peers.Add(peer);
        if (announce)
        {
            using var client = new TrackerClient([[Tracker.HttpAnnounceUrl]]);
            await client.AnnounceAsync(new AnnounceRequest(Built.Torrent.InfoHash, peer.PeerId, peer.EndPoint.Port, 0, 0, 0, AnnounceEvent.Started), ct);
        }
        return peer;
    }

    public IPEndPoint EndPointOf(int peer) => _peers[peer].EndPoint;

    /// <summary>Options for one of our downloaders writing below <paramref name="output"/>, loopback only, short timeouts.</summary>
    public DownloadOptions Options(string output, Action<string>? log = null) => new()
    {
        Session = new SessionSettings
        {
            ListenPort = 0,
            BindAddresses = [IPAddress.Loopback],
            ConnectTimeout = TimeSpan.FromSeconds(3),
            HandshakeTimeout = TimeSpan.FromSeconds(3),
            DialTcpFirst = true, // the synthetic peers speak TCP only: no unanswered uTP attempt before each
        },
        OutputDirectory = output,
        Log = log,
        StallTimeout = TimeSpan.FromSeconds(20),
        RequestTimeout = TimeSpan.FromSeconds(2),
        SnubTimeout = TimeSpan.FromSeconds(5),
        LedgerInterval = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>Asserts every file below <paramref name="output"/> has the SHA-1 of the original.</summary>
    public void AssertFiles(string output) => AssertFiles(Built, output);

    /// <summary>Asserts every file of <paramref name="built"/> below <paramref name="output"/> has the SHA-1 of the original.</summary>
    public static void AssertFiles(TestTorrents.Built built, string output)
    {
        foreach (var (path, data) in built.Files)
        {
            var full = Path.Combine(output, path);
            Assert.True(File.Exists(full), $"{path} is missing");
            Assert.Equal(Convert.ToHexString(SHA1.HashData(data)), Convert.ToHexString(SHA1.HashData(File.ReadAllBytes(full))));
        }
    }

    /// <summary>Every file under <paramref name="output"/>, relative (to check nothing was written elsewhere).</summary>
    public static IReadOnlyList<string> FilesBelow(string output) =>
        [.. Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f).Replace('\\', '/')).Order()];

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers) await peer.DisposeAsync();
        await Tracker.DisposeAsync();
        Folder.Dispose();
    }
}
