using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

/// <summary>The trackers, the swarm's part of them: the <see cref="Announcer"/> the swarm makes and owns, or the one a
/// seeding torrent owns and lends it. What is asked of the trackers (a reannounce, new tiers, a port, <c>stopped</c>)
/// goes only to an announcer the swarm owns; the seeding torrent that owns one is told itself.</summary>
internal sealed class Announcing
{
    private readonly TorrentSwarm _swarm;
    private Announcer? _announcer;
    private bool _owns = true;

    public Announcing(TorrentSwarm swarm) => _swarm = swarm;

    /// <summary>The announcer keeping the trackers told (its own, or the seeding torrent's), once started.</summary>
    public Announcer? InUse => _announcer;

    /// <summary>A seeding torrent runs the swarm: its announcer keeps the trackers told.</summary>
    public void Borrow(Announcer? owners)
    {
        _announcer = owners;
        _owns = false;
    }

    /// <summary>Makes the swarm's own announcer, for the torrent's trackers or those its options name; it announces
    /// from <see cref="Start"/>.</summary>
    public void Make(Func<AnnounceTotals> totals)
    {
        var options = _swarm.Options;
        var session = _swarm.Session;
        _announcer = new Announcer(options.TrackersOf(_swarm.Torrent), _swarm.Torrent.InfoHash, session.PeerId, totals,
            () => _swarm.ConnectedCount, peers => _swarm.AddPeers(peers, PeerSource.Tracker), options.Log, _swarm.Time,
            session.TrackerOptions, options.Events);
    }

    /// <summary>Starts announcing, on the port the swarm tells peers.</summary>
    public void Start() => _announcer?.Start(() => _swarm.Port);

    /// <summary>Our announced port changed: an owned announcer tells the trackers (else the seeding torrent that owns
    /// it is told).</summary>
    public void PortChanged()
    {
        if (_owns) _announcer?.PortChanged();
    }

    /// <summary>Announces now, with every peer kept (<see cref="LiveChanges"/>); false when the swarm does not own its
    /// announcer any more (a seeding torrent does) or has stopped.</summary>
    public bool TryReannounce()
    {
        if (!_owns || _announcer is not { } announcer || _swarm.IsStopping) return false;
        announcer.AnnounceNow();
        return true;
    }

    /// <summary>Announces to <paramref name="tiers"/> from now on, with every peer kept; false as
    /// <see cref="TryReannounce"/>.</summary>
    public bool TrySetTrackers(IReadOnlyList<IReadOnlyList<string>> tiers)
    {
        if (!_owns || _announcer is not { } announcer || _swarm.IsStopping) return false;
        announcer.SetTiers(tiers);
        return true;
    }

    /// <summary>A seeding torrent takes the announcer over (and returns to it).</summary>
    public Announcer? HandOver()
    {
        _owns = false;
        return _announcer;
    }

    /// <summary>The seeding torrent gives the announcer back: the swarm downloads again and owns it.</summary>
    public void TakeBack(Announcer? announcer, Func<AnnounceTotals> totals)
    {
        _announcer = announcer;
        _owns = true;
        announcer?.Retarget(totals, () => _swarm.ConnectedCount, peers => _swarm.AddPeers(peers, PeerSource.Tracker));
    }

    /// <summary>Every wanted piece is written: the trackers hear <c>completed</c>.</summary>
    public void Completed() => _announcer?.Completed();

    /// <summary>The swarm stops: an owned announcer says <c>stopped</c> (short timeout) and ends.</summary>
    public async Task StopAsync()
    {
        if (_announcer is null || !_owns) return;
        await _announcer.StoppedAsync().ConfigureAwait(false);
        _announcer.Dispose();
    }
}
