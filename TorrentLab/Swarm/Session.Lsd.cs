using System.Net;
using System.Net.Sockets;
using TorrentLab.Lsd;
using TorrentLab.Metainfo;
using TorrentLab.Network;

namespace TorrentLab.Swarm;

// Local service discovery (BEP 14), opt-in (SessionSettings.Lsd): one socket per multicast group (IPv4, and IPv6 where
// the machine has it) for the whole session; each public torrent is announced on LsdSchedule's timetable, and an
// announce heard for one of our torrents gives it a peer at the sender's address, like a DHT or PEX peer (the peer
// book's rules apply: no multicast, broadcast, unspecified or link-local address is ever dialled).
internal sealed partial class Session
{
    /// <summary>Announces read per second, over both groups; the rest are dropped (a flood on the LAN costs little).</summary>
    private const int MaxLsdReadsPerSecond = 50;

    /// <summary>Datagrams read per second from one source address, charged before the session's budget: a host that
    /// storms the group (even with 1-byte junk) spends its own share, not its neighbours'. An honest client sends one
    /// announce per torrent batch every five minutes (BEP 14), so five a second is generous.</summary>
    private const int MaxLsdReadsPerSourcePerSecond = 5;

    private const int MaxLsdSources = 4096; // sources counted in one second; beyond, a new source is not read

    private readonly Dictionary<IPAddress, int> _lsdSourceReads = [];
    private long _lsdSourceWindow = -1;

    /// <summary>Which senders are on our links (BEP 14 announces are multicast with TTL 1); tests may replace it.</summary>
    internal OnLink LsdOnLink
    {
        get => _lsdOnLink ??= new OnLink(() => [.. Settings.Network.Interfaces().Where(i => i.Up).Select(i => (i.Address, i.PrefixLength))]);
        set => _lsdOnLink = value;
    }

    private OnLink? _lsdOnLink;

    private readonly LsdSchedule _lsdSchedule = new();
    private readonly Lock _lsdLock = new();
    private readonly SemaphoreSlim _lsdWake = new(0, 1);
    private readonly List<IMulticastPort> _lsdSockets = [];
    private long _lsdWindow, _lsdReadsInWindow, _lsdRefused, _lsdHeard;

    /// <summary>BEP 14's cookie: "opaque value, allowing the sending client to filter out its own announces if it
    /// receives them via multicast loopback". 8 random hex digits per session.</summary>
    internal string LsdCookie { get; } = Convert.ToHexStringLower(Randomness.Secret(4));

    /// <summary>Announces heard from others and read (ours excluded), and datagrams refused as malformed.</summary>
    internal (long Heard, long Refused) LsdCounts => (Interlocked.Read(ref _lsdHeard), Interlocked.Read(ref _lsdRefused));

    private void StartLsd()
    {
        if (!Settings.Lsd || !Settings.LsdSockets) return;
        foreach (var group in new[] { LsdAnnounce.GroupV4, LsdAnnounce.GroupV6 })
        {
            try
            {
                var socket = Settings.Network.JoinMulticast(group);
                _lsdSockets.Add(socket);
                // One byte over the limit, so the parser refuses a longer datagram (it arrives cut to this).
                socket.Start((datagram, from) => OnLsdDatagram(datagram, from), LsdAnnounce.MaxLength + 1);
                Settings.Log?.Invoke($"lsd: {LsdAnnounce.HostOf(group)} on {string.Join(", ", socket.InterfaceNames)}");
            }
            catch (SocketException e)
            {
                Settings.Log?.Invoke($"lsd: no {LsdAnnounce.HostOf(group)}: {e.Message}");
            }
        }
        if (_lsdSockets.Count > 0) _tasks.Add(RunLsdAsync(_stop.Token));
    }

    /// <summary>Schedules <paramref name="swarm"/>'s first local announce (its hashes as handshakes name them: a hybrid
    /// torrent's v1 hash and its truncated v2 hash, as libtorrent announces both).</summary>
    private void ScheduleLsd(ISessionTorrent swarm)
    {
        if (!Settings.Lsd || !swarm.UsesLsd) return;
        lock (_lsdLock)
            foreach (var hash in swarm.IncomingHashes) _lsdSchedule.Add(hash, Settings.Time.GetUtcNow());
        try { _lsdWake.Release(); } catch (SemaphoreFullException) { }
    }

    private async Task RunLsdAsync(CancellationToken ct)
    {
        // One timetable for both groups: each announce goes to every group joined, so the fewest hashes one holds count.
        var capacity = _lsdSockets.Min(s => LsdAnnounce.Capacity(s.Group, LsdCookie));
        try
        {
            while (!ct.IsCancellationRequested)
            {
                IReadOnlyList<InfoHash> batch;
                TimeSpan? wait;
                lock (_lsdLock) (batch, wait) = _lsdSchedule.Take(Settings.Time.GetUtcNow(), capacity, IsAnnounced);
                if (batch.Count == 0)
                {
                    // Woken by a torrent attached, else at the next turn: an idle session sends nothing.
                    await Deadline.WaitAsync(_lsdWake, wait is { } w && w > TimeSpan.Zero ? w : Timeout.InfiniteTimeSpan, Settings.Time, ct).ConfigureAwait(false);
                    continue;
                }
                foreach (var socket in _lsdSockets)
                {
                    var sent = await socket.SendAsync(LsdAnnounce.Format(socket.Group, Port, batch, LsdCookie), ct).ConfigureAwait(false);
                    Settings.Log?.Invoke($"lsd: announced {batch.Count} info hash(es) to {LsdAnnounce.HostOf(socket.Group)} on {sent} interface(s)");
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>A hash still worth announcing: its torrent is attached and public.</summary>
    private bool IsAnnounced(InfoHash hash) => Find(hash) is { IsAttached: true, UsesLsd: true };

    /// <summary>One datagram from a group: an announce by another client gives each of our torrents it names a peer at
    /// the sender's address and announced port. Returns the peers that were new to a torrent.</summary>
    internal int OnLsdDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint from)
    {
        if (!TakeLsdRead(from.Address)) return 0;
        LsdAnnounce announce;
        try { announce = LsdAnnounce.Parse(datagram.Span); }
        catch (LsdException e)
        {
            if (Interlocked.Increment(ref _lsdRefused) <= 3) Settings.Log?.Invoke($"lsd: refused a datagram from {from}: {e.Message}");
            return 0;
        }
        if (announce.Cookie == LsdCookie) return 0; // our own, looped back
        if (!LsdOnLink.Contains(from.Address))
        {
            if (Interlocked.Increment(ref _lsdRefused) <= 3) Settings.Log?.Invoke($"lsd: refused an announce from {from}: not on one of our links");
            return 0;
        }
        Interlocked.Increment(ref _lsdHeard);
        var peer = new IPEndPoint(from.Address, announce.Port);
        var added = 0;
        foreach (var hash in announce.InfoHashes)
        {
            if (Find(hash) is not { IsAttached: true, UsesLsd: true } swarm || !swarm.OnLocalPeer(peer)) continue;
            swarm.Log($"lsd: new peer {peer}");
            added++;
        }
        return added;
    }

    /// <summary>True while this second's budgets of reads last: <paramref name="source"/>'s own, then the session's.</summary>
    private bool TakeLsdRead(IPAddress source)
    {
        var second = Settings.Time.GetTimestamp() / Settings.Time.TimestampFrequency;
        lock (_lsdSourceReads)
        {
            if (_lsdSourceWindow != second)
            {
                _lsdSourceWindow = second;
                _lsdSourceReads.Clear();
            }
            var reads = _lsdSourceReads.GetValueOrDefault(source);
            if (reads >= MaxLsdReadsPerSourcePerSecond || (reads == 0 && _lsdSourceReads.Count >= MaxLsdSources)) return false;
            _lsdSourceReads[source] = reads + 1;
        }
        if (Interlocked.Exchange(ref _lsdWindow, second) != second) Interlocked.Exchange(ref _lsdReadsInWindow, 0);
        return Interlocked.Increment(ref _lsdReadsInWindow) <= MaxLsdReadsPerSecond;
    }

    private void StopLsd()
    {
        foreach (var socket in _lsdSockets) socket.Dispose();
    }
}
