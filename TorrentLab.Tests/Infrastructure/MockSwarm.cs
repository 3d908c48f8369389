using System.Net;
using TorrentLab.Lab;
using TorrentLab.Tracker;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>The mock swarm: our in-process tracker and synthetic seeders on loopback, each announced to the tracker.</summary>
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
    public IReadOnlyList<SyntheticPeer> Peers => _peers;

    /// <summary>Starts a tracker, then one synthetic seeder per behaviour, announced in the given order.</summary>
    /// <param name="makeTorrent">Builds the torrent for the tracker's announce URL.</param>
    /// <param name="peers">One options tweak per peer (behaviour and its parameters).</param>
    public static async Task<MockSwarm> StartAsync(Func<string, TestTorrents.Built> makeTorrent,
        IEnumerable<Func<SyntheticPeerOptions, SyntheticPeerOptions>> peers, CancellationToken ct)
    {
        var tracker = await TrackerServer.StartAsync(new TrackerServerOptions { Port = 0 }, ct);
        var swarm = new MockSwarm(makeTorrent(tracker.HttpAnnounceUrl), tracker);
        using var client = new TrackerClient([[tracker.HttpAnnounceUrl]]);
        foreach (var tweak in peers)
        {
            var peer = SyntheticPeer.Start(tweak(SyntheticPeerOptions.ForTorrent(swarm.Built.Torrent, swarm.Built.Payload)));
            swarm._peers.Add(peer);
            await client.AnnounceAsync(new AnnounceRequest(swarm.Built.Torrent.InfoHash, peer.PeerId, peer.EndPoint.Port,
                0, 0, 0, AnnounceEvent.Started), ct);
        }
        return swarm;
    }

    /// <summary>Shorthand: peers that differ only in behaviour.</summary>
    public static Task<MockSwarm> StartAsync(Func<string, TestTorrents.Built> makeTorrent, IEnumerable<SyntheticBehaviour> behaviours,
        CancellationToken ct) =>
        StartAsync(makeTorrent, behaviours.Select(b => (Func<SyntheticPeerOptions, SyntheticPeerOptions>)(o => o with { Behaviour = b })), ct);

    public IPEndPoint EndPointOf(int peer) => _peers[peer].EndPoint;

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers) await peer.DisposeAsync();
        await Tracker.DisposeAsync();
    }
}
