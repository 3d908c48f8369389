using System.Globalization;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.PortMapping;
using TorrentLab.Swarm;
using TorrentLab.Wire;

namespace TorrentLab.Simulation.Experiments;

/// <summary>A swarm against the fluid model (Qiu and Srikant, SIGCOMM 2004): one seed of upload u_s and N peers of
/// uploads u_i and downloads d_i, joining at once (a flash crowd) or as separate processes through a tracker, F bytes;
/// T is the time from their start to the last completion, against T_min = max(F/u_s, N*F/(u_s + sum u_i), F/min d_i). Each peer is the unchanged engine (a
/// session and a swarm of its own) on a simulated host whose access link is its capacity; the pieces are a pattern,
/// not stored (<see cref="PatternStorage"/>).</summary>
internal static class SwarmExperiment
{
    /// <param name="Peers">N, not counting the seed.</param>
    /// <param name="Mib">F in MiB.</param>
    /// <param name="PieceKib">The piece length in KiB.</param>
    /// <param name="SeedRate">u_s, bytes per second.</param>
    /// <param name="PeerRate">The rate "equal" and "spread" give the peers, bytes per second; 0: u_s. A seed faster than
    /// its peers (a server, or loopback's "uncapped") is a larger u_s than this.</param>
    /// <param name="Uploads">"equal": every peer uploads u_s; "spread": uniform in [u_s/4, u_s] (a spread, not a
    /// measured distribution); "gnutella": the measured classes of <see cref="Measured"/>, downloads with them (the
    /// slowest downlinks are then the bound); "gnutella-up": their uploads, downloads not limited (the bound is the
    /// upload: the seed's, or the crowd's with it).</param>
    /// <param name="DownFactor">d_i = DownFactor * u_i; 0: downloads not limited (the third term is then 0). Not used
    /// with "gnutella", whose classes give each peer's download, nor "gnutella-up".</param>
    /// <param name="Super">The seed super-seeds (BEP 16).</param>
    /// <param name="AppCap">True: the capacity is the client's upload limit on an unlimited link (what
    /// bench/swarm/swarm.py does on loopback); false: it is the access link's.</param>
    /// <param name="Neighbours">Peers each one is told of, as a tracker's answer (numwant): the seed and this many others.</param>
    /// <param name="LatencyMs">Every host's one-way delay to the core (a path's is twice it).</param>
    /// <param name="Join">"once": every peer starts at the same instant knowing the seed and <paramref name="Neighbours"/>
    /// others; "tracker": what bench/swarm/swarm.py does on real sockets: the seed has announced before the peers
    /// start, each peer starts at its own instant (<paramref name="Starts"/>: separate processes starting together),
    /// announces, and hears the tracker name the seed and the peers that announced before it (up to <paramref name="Neighbours"/>, opentracker's answer); the ones it named learn of
    /// it only when it connects (their next announce is minutes away).</param>
    /// <param name="Starts">With "tracker": when each peer starts, seconds after the seed, as "FROM-TO" (uniform
    /// draws) or a list "S1,S2,..." of one per peer (the first tracker answers bench/swarm/swarm.py printed for a real
    /// run).</param>
    /// <param name="Churn">With "once": this share of the peers leaves during the download (each at an instant uniform
    /// in [0, T_min) of the swarm without churn, closing its connections as a client that quits does), and as many new
    /// peers join at instants drawn the same way, each told by the tracker of the seed and up to
    /// <paramref name="Neighbours"/> of the peers present then; the ones that leave are not waited for.</param>
    /// <param name="Trace">A file to write, every 5 simulated seconds, each peer's upload and download use and its
    /// choking state (what holds an upload idle), or null.</param>
    /// <param name="TimersLateMs">The engine's timers fire up to this many milliseconds late (uniform, seeded; 0: on
    /// time, what the scenario tests use; the benchmark's command line gives 0.5 unless told), as on a real machine
    /// (<see cref="SimClock.MakeTimersLate"/>).</param>
    /// <param name="Wire">A file to write every wire message of every peer to, at its simulated time, as the command
    /// line's --trace prints them (for a side-by-side look with bench/swarm/swarm.py's traces), or null.</param>
    internal sealed record Options(int Peers, int Mib = 100, int PieceKib = 256, long SeedRate = 1 << 20, long PeerRate = 0, string Uploads = "equal",
        int DownFactor = 0, bool Super = false, bool AppCap = false, int Neighbours = 50, double LatencyMs = 20, string Join = "once",
        string Starts = "0-0", double Churn = 0, string? Trace = null, string? Wire = null,
        double TimersLateMs = 0);

    /// <summary>Upload and download capacities of peers as measured: the four classes of Bharambe, Herley and
    /// Padmanabhan, "Analyzing and Improving a BitTorrent Network's Performance Mechanisms" (IEEE INFOCOM 2006,
    /// Table 1), derived from Saroiu, Gummadi and Gribble's measurement of the bottleneck bandwidths of Gnutella hosts
    /// ("A Measurement Study of Peer-to-Peer File Sharing Systems", MMCN 2002): (up kbit/s, down kbit/s, share)
    /// (128, 784, 20 %), (384, 1,500, 40 %), (1,000, 3,000, 25 %), (5,000, 10,000, 15 %). Dial-up and DSL/cable of the
    /// early 2000s: slow, asymmetric and spread over 40 times from the slowest to the fastest.</summary>
    internal static readonly (long UpKbit, long DownKbit, double Share)[] Measured =
        [(128, 784, 0.20), (384, 1500, 0.40), (1000, 3000, 0.25), (5000, 10000, 0.15)];

    /// <summary>Each of <paramref name="count"/> peers' class of <see cref="Measured"/>, in the classes' shares (rounded;
    /// the last class takes the rest), in an order shuffled by <paramref name="random"/>.</summary>
    private static (long Up, long Down)[] MeasuredCapacities(int count, Random random)
    {
        var list = new List<(long, long)>();
        for (var c = 0; c < Measured.Length; c++)
        {
            var n = c == Measured.Length - 1 ? count - list.Count : (int)Math.Round(Measured[c].Share * count);
            for (var i = 0; i < n && list.Count < count; i++) list.Add((Measured[c].UpKbit * 125, Measured[c].DownKbit * 125)); // kbit/s: 125 bytes/s
        }
        return [.. list.OrderBy(_ => random.Next())];
    }

    public static async Task RunAsync(SimRun sim, Options o, Action<string> print)
    {
        var inv = CultureInfo.InvariantCulture;
        var random = new Random(sim.Seed);
        if (o.TimersLateMs < 0) throw new InvalidOperationException($"--timers-late-ms is 0 or more, not {o.TimersLateMs}");
        sim.Clock.MakeTimersLate(TimeSpan.FromMilliseconds(o.TimersLateMs), unchecked(sim.Seed * 7919 + 3)); // a stream of its own
        long length = (long)o.Mib << 20;
        var torrent = PatternStorage.Torrent(length, o.PieceKib * 1024, "swarm.bin");
        var latency = TimeSpan.FromMilliseconds(o.LatencyMs);
        LinkSpec Link(long up, long down) => o.AppCap ? new LinkSpec(latency) : new LinkSpec(latency, up, down);

        // With churn, the joiners' capacities follow the peers' (indices Peers..Peers+joiners-1).
        var leaving = o.Join == "once" ? (int)Math.Round(o.Churn * o.Peers) : 0;
        if (o.Churn != 0 && o.Join != "once") throw new InvalidOperationException("--churn goes with --join once");
        if (o.Churn is < 0 or > 1) throw new InvalidOperationException($"--churn is a share from 0 to 1, not {o.Churn}");
        var all = o.Peers + leaving;
        var peerRate = o.PeerRate > 0 ? o.PeerRate : o.SeedRate;
        (long Up, long Down)[] caps = o.Uploads switch
        {
            "equal" => [.. Enumerable.Range(0, all).Select(_ => (peerRate, Down(peerRate)))],
            "spread" => [.. Enumerable.Range(0, all).Select(_ => peerRate / 4 + (long)(random.NextDouble() * (peerRate - peerRate / 4))).Select(u => (u, Down(u)))],
            "gnutella" => MeasuredCapacities(all, random),
            "gnutella-up" => [.. MeasuredCapacities(all, random).Select(c => (c.Up, 0L))],
            _ => throw new InvalidOperationException($"--uploads is equal, spread, gnutella or gnutella-up, not '{o.Uploads}'"),
        };
        var ups = caps.Select(c => c.Up).ToArray();
        long Down(long up) => o.DownFactor == 0 ? 0 : o.DownFactor * up;
        var seedHost = sim.Network.AddHost("seed", Link(o.SeedRate, 0));
        var hosts = Enumerable.Range(0, all).Select(i => sim.Network.AddHost($"p{i}", Link(caps[i].Up, caps[i].Down))).ToArray();

        var settings = new SessionSettings
        {
            ListenPort = 6881, Dht = false, Lsd = false, PortMapping = PortMappingProtocols.None, Transport = PeerTransport.Tcp,
            Encryption = EncryptionPolicy.Off,
        };
        using var wire = o.Wire is { } wireFile ? new StreamWriter(wireFile) : null;
        var sessions = new List<Session>();
        var swarms = new List<TorrentSwarm>();
        var byHost = new Dictionary<SimHost, (Session Session, TorrentSwarm Swarm)>();
        TorrentSwarm Start(SimHost host, long up, bool seed, IReadOnlyList<IPEndPoint> peers)
        {
            var session = Session.Start(sim.SessionOn(host, settings) with { Log = null });
            sessions.Add(session);
            var options = new DownloadOptions
            {
                OutputDirectory = sim.Folder, Trackers = [], ExtraPeers = peers, SuperSeed = seed && o.Super,
                UploadLimit = o.AppCap ? new RateLimit(up, clock: sim.Clock) : null, StallTimeout = TimeSpan.FromMinutes(30),
                Trace = wire is null ? null : e => wire.WriteLine(string.Create(inv,
                    $"{sim.Clock.Now.TotalSeconds:0.000000} {host.Name} {e.Peer} {e}")),
            };
            var have = seed ? Bitfield.Full(torrent.PieceCount) : new Bitfield(torrent.PieceCount);
            var swarm = new TorrentSwarm(session, torrent, options, new PatternStorage(), have, downloading: !seed);
            swarms.Add(swarm);
            byHost[host] = (session, swarm);
            swarm.Start();
            return swarm;
        }

        try
        {
            Start(seedHost, o.SeedRate, seed: true, []);
            var seedAt = new IPEndPoint(seedHost.Address, 6881);
            var started = sim.Clock.Now;
            var finished = new TimeSpan?[all];
            var downloads = new List<Task>();
            double f = length, us = o.SeedRate;
            double Bound(IEnumerable<int> peers)
            {
                var list = peers.ToArray();
                var sum = list.Sum(i => (double)ups[i]);
                var minDown = list.Min(i => (double)caps[i].Down);
                return Math.Max(f / us, Math.Max(list.Length * f / (us + sum), minDown == 0 ? 0 : f / minDown));
            }
            var joinBound = 0.0; // with churn: the latest joiner's start plus its own download time, when later
            if (o.Join == "once")
            {
                var leaves = new bool[all];
                foreach (var i in Enumerable.Range(0, o.Peers).OrderBy(_ => random.Next()).Take(leaving)) leaves[i] = true;
                for (var i = 0; i < o.Peers; i++)
                {
                    var others = Enumerable.Range(0, o.Peers).Where(j => j != i).OrderBy(_ => random.Next()).Take(o.Neighbours)
                        .Select(j => new IPEndPoint(hosts[j].Address, 6881));
                    var swarm = Start(hosts[i], ups[i], seed: false, [seedAt, .. others]);
                    var index = i;
                    if (!leaves[i]) downloads.Add(Completed(swarm, () => LogCompleted(sim, index, (finished[index] = sim.Clock.Now - started).Value, caps[index], hosts[index])));
                }
                if (leaving > 0)
                {
                    // Leaving and joining happen within the time the swarm without churn would take at best.
                    var span = Bound(Enumerable.Range(0, o.Peers));
                    var events = new List<(double At, int Peer, bool Joins)>();
                    for (var i = 0; i < o.Peers; i++) if (leaves[i]) events.Add((random.NextDouble() * span, i, false));
                    for (var i = o.Peers; i < all; i++) events.Add((random.NextDouble() * span, i, true));
                    var present = new HashSet<int>(Enumerable.Range(0, o.Peers));
                    foreach (var (at, peer, joins) in events.OrderBy(e => e.At).ThenBy(e => e.Peer))
                    {
                        var when = started + TimeSpan.FromSeconds(at);
                        if (when > sim.Clock.Now) await sim.Delay(when - sim.Clock.Now).ConfigureAwait(false);
                        if (!joins)
                        {
                            present.Remove(peer);
                            var (session, swarm) = byHost[hosts[peer]];
                            sim.Log.Line("churn", $"p{peer} leaves");
                            await swarm.DisposeAsync().ConfigureAwait(false);
                            await session.DisposeAsync().ConfigureAwait(false);
                            continue;
                        }
                        var others = present.OrderBy(_ => random.Next()).Take(o.Neighbours).Select(j => new IPEndPoint(hosts[j].Address, 6881));
                        sim.Log.Line("churn", $"p{peer} joins");
                        var joined = Start(hosts[peer], ups[peer], seed: false, [seedAt, .. others]);
                        present.Add(peer);
                        if (caps[peer].Down > 0) joinBound = Math.Max(joinBound, at + f / caps[peer].Down);
                        var index = peer;
                        downloads.Add(Completed(joined, () => LogCompleted(sim, index, (finished[index] = sim.Clock.Now - started).Value, caps[index], hosts[index])));
                    }
                }
            }
            else if (o.Join == "tracker")
            {
                // The tracker sits at the core (a path to it is one access link): an announce reaches it after one
                // latency, its answer comes back after another.
                var announced = new List<IPEndPoint> { seedAt };
                var starts = StartTimes(o, random);
                var answers = new List<Task>();
                foreach (var i in Enumerable.Range(0, o.Peers).OrderBy(i => starts[i]))
                {
                    var at = started + TimeSpan.FromSeconds(starts[i]);
                    if (at > sim.Clock.Now) await sim.Delay(at - sim.Clock.Now).ConfigureAwait(false);
                    var swarm = Start(hosts[i], ups[i], seed: false, []);
                    var index = i;
                    downloads.Add(Completed(swarm, () => LogCompleted(sim, index, (finished[index] = sim.Clock.Now - started).Value, caps[index], hosts[index])));
                    answers.Add(Announce(swarm, new IPEndPoint(hosts[i].Address, 6881)));
                }
                await Task.WhenAll(answers).ConfigureAwait(false);

                async Task Announce(TorrentSwarm swarm, IPEndPoint self)
                {
                    await sim.Delay(latency).ConfigureAwait(false);
                    IPEndPoint[] answer = [.. announced.OrderBy(_ => random.Next()).Take(o.Neighbours)];
                    announced.Add(self);
                    sim.Log.Line("tracker", $"{self} announced, answered {answer.Length} peers");
                    await sim.Delay(latency).ConfigureAwait(false);
                    swarm.AddPeers(answer, PeerSource.Tracker);
                }
            }
            else throw new InvalidOperationException($"--join is once or tracker, not '{o.Join}'");
            if (o.Trace is { } traceFile)
                await TraceAsync(sim, traceFile, Task.WhenAll(downloads), started, o.SeedRate, caps, seedHost, hosts, byHost).ConfigureAwait(false);
            await Task.WhenAll(downloads).ConfigureAwait(false);

            // T and T_min over the peers that completed (with churn: those that stayed and those that joined).
            var completed = Enumerable.Range(0, all).Where(i => finished[i] is not null).ToArray();
            var t = completed.Max(i => finished[i]!.Value);
            var tMin = Math.Max(Bound(completed), joinBound);
            var (seedUp, _) = seedHost.Bytes;
            print(string.Create(inv,
                $"peers={o.Peers} seed={sim.Seed} F_mib={o.Mib} piece_kib={o.PieceKib} u_s_kib={o.SeedRate / 1024}{(o.PeerRate > 0 ? $" u_kib={o.PeerRate / 1024}" : "")} uploads={o.Uploads} " +
                $"down_factor={o.DownFactor} super={(o.Super ? "on" : "off")} cap={(o.AppCap ? "app" : "link")} neighbours={o.Neighbours} join={o.Join}" +
                $"{(o.Join == "tracker" ? $" starts_s={o.Starts}" : "")}{(leaving > 0 ? $" churn={o.Churn} left={leaving} joined={leaving}" : "")} " +
                $"first_s={completed.Min(i => finished[i]!.Value).TotalSeconds:0.00} " +
                $"T_s={t.TotalSeconds:0.00} T_min_s={tMin:0.00} seed_upload_F={seedUp / f:0.000} T/T_min={t.TotalSeconds / tMin:0.000}"));
        }
        finally
        {
            foreach (var swarm in swarms) await swarm.DisposeAsync().ConfigureAwait(false);
            foreach (var session in sessions) await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Upload capacity from which a peer counts as fast in the trace: the measured distribution's fastest class,
    /// 5 Mbit/s.</summary>
    private const long FastUpload = 5000 * 125;

    /// <summary>Every 5 simulated seconds until <paramref name="done"/>, one line a peer (p=-1 the seed) to
    /// <paramref name="path"/>: its upload and download in that span over its capacities, and the choking state that
    /// explains an idle upload (unchoked peers, interested or not, with requests queued or not; interested peers kept
    /// choked, and of those the ones held back for ignoring an unchoke), and an idle download (peers it is interested
    /// in, unchoked by, has requests out to; the same for fast peers, the seed not counted), the upload slots the choker
    /// fills, how many choke rounds ran (and of them on the clock), and each unchoked interested peer's rate from us
    /// (KiB/s), how long it has been unchoked and an "i" when it ignored the unchoke. It only reads the engines' state:
    /// the event log's digest stays as without it.</summary>
    private static async Task TraceAsync(SimRun sim, string path, Task done, TimeSpan started, long seedRate,
        (long Up, long Down)[] caps, SimHost seedHost, SimHost[] hosts, Dictionary<SimHost, (Session Session, TorrentSwarm Swarm)> byHost)
    {
        var inv = CultureInfo.InvariantCulture;
        using var writer = new StreamWriter(path);
        var indexOf = new Dictionary<string, int> { [seedHost.Address.ToString()] = -1 };
        for (var i = 0; i < hosts.Length; i++) indexOf[hosts[i].Address.ToString()] = i;
        var lastUp = new long[hosts.Length + 1];
        var lastDown = new long[hosts.Length + 1];
        var step = TimeSpan.FromSeconds(5);
        while (!done.IsCompleted)
        {
            await Task.WhenAny(done, sim.Delay(step)).ConfigureAwait(false);
            var now = (sim.Clock.Now - started).TotalSeconds;
            for (var i = -1; i < hosts.Length; i++)
            {
                var host = i < 0 ? seedHost : hosts[i];
                if (!byHost.TryGetValue(host, out var running)) continue;
                var (up, down) = host.Bytes;
                double upRate = (up - lastUp[i + 1]) / step.TotalSeconds, downRate = (down - lastDown[i + 1]) / step.TotalSeconds;
                (lastUp[i + 1], lastDown[i + 1]) = (up, down);
                int peers = 0, seeds = 0, unchoked = 0, unchokedInterested = 0, unchokedAsking = 0, waiting = 0, queued = 0;
                int waitingIgnored = 0, interestedIn = 0, unchokedBy = 0, requesting = 0, unchokedByFast = 0, requestingFast = 0, outFast = 0, fastPeers = 0, idleUnchoked = 0, idleUnchokedFast = 0;
                long unchokedDownCapacity = 0;
                var diag = new List<string>();
                foreach (var p in running.Swarm.PeersSnapshot())
                {
                    peers++;
                    if (p.IsSeed) seeds++;
                    var j = indexOf.GetValueOrDefault(p.Address[..p.Address.LastIndexOf(':')], -1);
                    var (remoteUp, remoteDown) = j >= 0 ? caps[j] : (seedRate, 0L);
                    var asked = p.QueuedUploads;
                    queued += asked;
                    if (!p.Choking)
                    {
                        if (p.Connection.PeerInterested) diag.Add(string.Create(inv, $"{p.Up.BytesPerSecond / 1024:0}k/{p.UnchokedFor?.TotalSeconds:0}s{(p.IgnoredUnchoke(TimeSpan.FromSeconds(5)) ? "i" : "")}"));
                        unchoked++;
                        if (p.Connection.PeerInterested) { unchokedInterested++; unchokedDownCapacity += remoteDown; }
                        if (asked > 0) unchokedAsking++;
                    }
                    else if (p.Connection.PeerInterested)
                    {
                        waiting++;
                        if (p.IgnoredUnchoke(TimeSpan.FromSeconds(5))) waitingIgnored++;
                    }
                    if (j >= 0 && remoteUp >= FastUpload) fastPeers++;
                    if (!p.Connection.AmInterested) continue;
                    interestedIn++;
                    var outstanding = p.RequestsOut;
                    if (outstanding > 0) requesting++;
                    if (p.Connection.PeerChoking) continue;
                    unchokedBy++;
                    if (outstanding == 0) { idleUnchoked++; if (j >= 0 && remoteUp >= FastUpload) idleUnchokedFast++; }
                    if (j < 0 || remoteUp < FastUpload) continue; // the seed is not counted
                    unchokedByFast++;
                    if (outstanding > 0) requestingFast++;
                    outFast += outstanding;
                }
                var (capUp, capDown) = i < 0 ? (seedRate, 0L) : caps[i];
                writer.WriteLine(string.Create(inv,
                    $"t={now:0} p={i} up_cap={capUp} down_cap={capDown} done={(running.Swarm.Downloading ? 0 : 1)} " +
                    $"have_mib={running.Swarm.Pieces.HaveBytes / 1048576.0:0.0} wasted_mib={running.Swarm.Pieces.WastedBytes / 1048576.0:0.0} endgame={(running.Swarm.Pieces.IsEndgame ? 1 : 0)} " +
                    $"waste_mib={string.Join('/', running.Swarm.Pieces.WastedByCause().Select(b => (b / 1048576.0).ToString("0.0", inv)))} " +
                    $"up_use={upRate / capUp:0.00} down_use={(capDown > 0 ? downRate / capDown : 0):0.00} peers={peers} seeds={seeds} " +
                    $"unchoked={unchoked} unchoked_int={unchokedInterested} unchoked_asking={unchokedAsking} " +
                    $"unchoked_downcap={unchokedDownCapacity} waiting={waiting} waiting_ignored={waitingIgnored} queued={queued} interested_in={interestedIn} " +
                    $"unchoked_by={unchokedBy} requesting_from={requesting} fast_peers={fastPeers} idle_unchoked={idleUnchoked} idle_unchoked_fast={idleUnchokedFast} idle_fills={string.Join('/', running.Swarm.Pieces.IdleFills())} unchoked_by_fast={unchokedByFast} " +
                    $"requesting_fast={requestingFast} out_fast={outFast} slots={running.Swarm.UploadSlotsNow} rounds={running.Swarm.ChokeRounds} timed_rounds={running.Swarm.TimedChokeRounds} rates={string.Join(',', diag)}"));
            }
        }
    }

    /// <summary>Each peer's start in seconds from <see cref="Options.Starts"/>.</summary>
    private static double[] StartTimes(Options o, Random random)
    {
        var inv = CultureInfo.InvariantCulture;
        if (o.Starts.Contains(','))
        {
            var listed = o.Starts.Split(',').Select(v => double.Parse(v, inv)).ToArray();
            if (listed.Length != o.Peers) throw new InvalidOperationException($"--starts lists {listed.Length} times for {o.Peers} peers");
            return listed;
        }
        var range = o.Starts.Split('-');
        if (range.Length != 2) throw new InvalidOperationException($"--starts is FROM-TO or S1,S2,..., not '{o.Starts}'");
        double from = double.Parse(range[0], inv), to = double.Parse(range[1], inv);
        return [.. Enumerable.Range(0, o.Peers).Select(_ => from + random.NextDouble() * (to - from))];
    }

    private static async Task Completed(TorrentSwarm swarm, Action done)
    {
        if (await Task.WhenAny(swarm.Completion, swarm.Failure).ConfigureAwait(false) == swarm.Failure) await swarm.Failure.ConfigureAwait(false);
        done();
    }

    /// <summary>A line of the event log for a peer that completed: when, and its capacities (what tells the slow
    /// finishers apart).</summary>
    private static void LogCompleted(SimRun sim, int peer, TimeSpan at, (long Up, long Down) cap, SimHost host) =>
        sim.Log.Line("swarm", string.Create(CultureInfo.InvariantCulture,
            $"p{peer} complete at {at.TotalSeconds:0.00} s, up {cap.Up / 1024} KiB/s, down {cap.Down / 1024} KiB/s, sent {host.Bytes.Up >> 10} KiB"));
}
