using TorrentLab.Client;
using System.Collections.Concurrent;
using TorrentLab.Lab;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Swarm;

/// <summary>The dialler of <c>Swarm/TorrentSwarm.Peers.cs</c>: at most eight connects at once, refilled as each ends.</summary>
public class TorrentSwarmPeersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Issue 38: after eight successful dials the dialler slept out a timeout, so peers arrived eight a second.
    /// Here nothing else wakes it: the tracker names all twelve seeders in one answer, and none of them ever unchokes,
    /// so no connection ends and no block arrives. Without a refill after each success, eight would stay connected.</summary>
    [Fact]
    public async Task DialLoop_MoreTrackerPeersThanConnectSlots_RefillsAfterEachSuccessfulDialUntilAllAreConnected()
    {
        const int Seeders = 12; // more than TorrentSwarm's eight connects at once
        await using var swarm = await MockSwarm.StartAsync(
            url => TestTorrents.SingleFile(length: 64 * 1024, pieceLength: 16 * 1024, name: "dial.bin", announce: url, seed: 38),
            Enumerable.Repeat(SyntheticBehaviour.NeverUnchokes, Seeders), Ct);
        var connected = new ConcurrentDictionary<string, bool>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Log(string line)
        {
            // "127.0.0.1:port: connected (outgoing over TCP, ...)"
            var at = line.IndexOf(": connected (outgoing", StringComparison.Ordinal);
            if (at > 0 && connected.TryAdd(line[..at].Replace("peer ", "", StringComparison.Ordinal), true) && connected.Count == Seeders) all.TrySetResult();
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var download = TorrentClient.DownloadAsync(swarm.Built.Torrent,
            swarm.Options(swarm.Folder.Combine("out"), Log).WithSession(s => s with { Encryption = TorrentLab.Wire.EncryptionPolicy.Off }) with { StallTimeout = null }, null, stop.Token);

        // Twelve loopback connects take well under a second; without the refill, the next wake-up seen came after 30 s
        // (the swarm's idle-peer grace), so a wait of 15 s tells the two apart with a wide margin either way.
        await Wait.ForAsync(Task.WhenAny(all.Task, download), TimeSpan.FromSeconds(15), Ct);
        await stop.CancelAsync();
        try { await download; } catch (OperationCanceledException) { }

        Assert.Equal(Seeders, connected.Count);
        Assert.Equal(swarm.Peers.Select(p => p.EndPoint.ToString()).Order(), connected.Keys.Order());
    }

    /// <summary>Both sides dialling each other at once keep the same connection only if neither treats the other one as
    /// established for a mere bitfield: a seeder sends its bitfield at once, and a holepunch (both dial by design) lost
    /// both connections when one side kept the first that spoke and the other kept the one of the smaller peer id.</summary>
    [Theory]
    [InlineData(true, 0, 1, false)]    // only its bitfield, a second old: still yields to the connection both keep
    [InlineData(false, 0, 30, false)]  // silent however old
    [InlineData(true, 0, 11, true)]    // spoke, past the window of a simultaneous open
    [InlineData(false, 16384, 1, true)] // payload flowed: never replaced, whatever its age
    public void Established_IsPayloadOrSpeakingPastTheSimultaneousOpenWindow(bool spoke, long payload, int ageSeconds, bool established) =>
        Assert.Equal(established, PeerAdmission.Established(spoke, payload, TimeSpan.FromSeconds(ageSeconds)));
}
