using System.Net;
using System.Security.Cryptography;
using TorrentLab.Lab;
using TorrentLab.Session;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Swarm;

/// <summary>A torrent, our in-process tracker and synthetic peers announced to it: the mock swarm of the swarm tests.</summary>
internal sealed class MockSwarm : IAsyncDisposable
{
    private readonly List<SyntheticPeer> _peers = [];

    private MockSwarm(TestTorrents.Built built, TrackerServer tracker, TempFolder folder)
    {
        Built = built;
        Tracker = tracker;
        Folder = folder;
    }

    public TestTorrents.Built Built { get; }
    public TrackerServer Tracker { get; }
    public TempFolder Folder { get; }
    public IReadOnlyList<SyntheticPeer> Peers => _peers;

    /// <summary>A multi-file torrent of about <paramref name="totalBytes"/> announcing to a fresh in-process tracker.</summary>
    public static async Task<MockSwarm> StartAsync(int totalBytes, int pieceLength, CancellationToken ct)
    {
        var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0, Interval = TimeSpan.FromMinutes(30) }, ct);
        var third = totalBytes / 3;
        var built = TestTorrents.MultiFile([("a.bin", third), ("sub/b.bin", third + 1234), ("sub/c.bin", totalBytes - 2 * third - 1234)],
            pieceLength, name: "swarm", announce: tracker.HttpAnnounceUrl);
        return new MockSwarm(built, tracker, new TempFolder("torrentlab-swarm"));
    }

    /// <summary>Starts a synthetic peer; <paramref name="announce"/> registers it with the tracker (else pass its
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

    /// <summary>Options for one of our downloaders writing below <paramref name="output"/>, loopback only.</summary>
    public DownloadOptions Options(string output, Action<string>? log = null) => new()
    {
        OutputDirectory = output,
        ListenPort = 0,
        BindAddress = IPAddress.Loopback,
        Log = log,
        StallTimeout = TimeSpan.FromSeconds(20),
        RequestTimeout = TimeSpan.FromSeconds(2),
        SnubTimeout = TimeSpan.FromSeconds(5),
        ConnectTimeout = TimeSpan.FromSeconds(3),
        HandshakeTimeout = TimeSpan.FromSeconds(3),
        LedgerInterval = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>Asserts every file below <paramref name="output"/> has the SHA-1 of the original.</summary>
    public void AssertFiles(string output)
    {
        foreach (var (path, data) in Built.Files)
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
