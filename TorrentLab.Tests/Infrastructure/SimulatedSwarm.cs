using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Simulation;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>The mock swarm on the simulated network: the lab's synthetic seeders (the same code that grades students on
/// real sockets), each on a simulated host of its own and on the run's clock, and a downloader's host beside them.
/// The counterpart of <see cref="MockSwarm"/> for tests whose subject is the engine's timeouts and its handling of bad
/// peers rather than the kernel's sockets.</summary>
internal sealed class SimulatedSwarm : IAsyncDisposable
{
    private readonly List<SyntheticPeer> _peers = [];

    public SimulatedSwarm(SimRun sim, TestTorrents.Built built)
    {
        Sim = sim;
        Built = built;
        Downloader = sim.Network.AddHost("downloader", LinkSpec.Fast);
    }

    public SimRun Sim { get; }
    public TestTorrents.Built Built { get; }

    /// <summary>The host the download runs on.</summary>
    public SimHost Downloader { get; }

    public IReadOnlyList<SyntheticPeer> Peers => _peers;

    /// <summary>Starts a synthetic seeder of <paramref name="behaviour"/> on a new host (named after its number and
    /// behaviour); its log lines go to the event log.</summary>
    public SyntheticPeer Add(SyntheticBehaviour behaviour, Func<SyntheticPeerOptions, SyntheticPeerOptions>? configure = null)
    {
        var host = Sim.Network.AddHost($"peer{_peers.Count}-{behaviour}", LinkSpec.Fast);
        var options = SyntheticPeerOptions.ForTorrent(Built.Torrent, Built.Payload, behaviour) with { MaxConnections = 16 };
        if (configure is not null) options = configure(options);
        options = options with
        {
            Connection = options.Connection with { Network = host, Time = Sim.Clock },
            Address = host.Address,
            OnLog = host.LogLine,
        };
        var peer = SyntheticPeer.Start(options);
        _peers.Add(peer);
        return peer;
    }

    /// <summary>The download's folder on its host.</summary>
    public string Output => Sim.FolderOf(Downloader, "out");

    /// <summary>The mock swarm's downloader options (<see cref="MockSwarm.Options"/>: short timeouts, TCP first), on the
    /// downloader's host and the run's clock, no tracker; its log lines go to the event log and to
    /// <paramref name="log"/>.</summary>
    public DownloadOptions Options(Action<string>? log = null) => new()
    {
        Session = Sim.SessionOn(Downloader, new SessionSettings
        {
            ListenPort = 6881,
            ConnectTimeout = TimeSpan.FromSeconds(3),
            HandshakeTimeout = TimeSpan.FromSeconds(3),
            DialTcpFirst = true, // the synthetic peers speak TCP only: no unanswered uTP attempt before each
        }),
        OutputDirectory = Output,
        Trackers = [],
        Log = line =>
        {
            Downloader.LogLine(line);
            log?.Invoke(line);
        },
        StallTimeout = TimeSpan.FromSeconds(20),
        RequestTimeout = TimeSpan.FromSeconds(2),
        SnubTimeout = TimeSpan.FromSeconds(5),
        LedgerInterval = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>Asserts every file of the download has the SHA-1 of the original.</summary>
    public void AssertFiles() => MockSwarm.AssertFiles(Built, Output);

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in _peers) await peer.DisposeAsync();
    }
}
