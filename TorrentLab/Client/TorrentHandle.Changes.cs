using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Pieces;
using TorrentLab.Tracker;

namespace TorrentLab.Client;

/// <summary>The changes a torrent takes, and which of them keep its peers connected (the remarks on
/// <see cref="TorrentHandle"/> list them).</summary>
public sealed partial class TorrentHandle
{
    /// <summary>Sets one priority per file (<see cref="Metainfo.Torrent.Files"/> order): skipped files are not fetched
    /// beyond the pieces they share with wanted ones, higher ones are fetched first. A downloading torrent takes the
    /// change with its peers kept, and so does a seeding one that now wants more (it downloads again in its swarm) unless
    /// it has no peer to keep or its swarm was woken after its download's; a completed one that wants more starts again.</summary>
    /// <exception cref="ArgumentException">Not one priority per file, or an unknown priority; nothing changed.</exception>
    public Task SetFilePrioritiesAsync(IReadOnlyList<FilePriority> priorities)
    {
        ArgumentNullException.ThrowIfNull(priorities);
        var selection = PieceSelection.For(Torrent, priorities); // checks the count and each value before anything stops
        lock (_lock)
        {
            // More is wanted than verified: a completed torrent runs again (a paused one stays so).
            if (State == TorrentState.Completed && !_pieces.IsDoneFor(selection)) _wantsRunning = true;
        }
        return ChangeKeepingPeersAsync((live, _, _) => live.TrySetSelection(selection), o => o with { FilePriorities = selection.Files }, startsIfMeant: true);
    }

    /// <summary>Fetches pieces in order, lowest index first (for playing a file while it downloads), or rarest first.
    /// A downloading or seeding torrent takes it without stopping (a seeding one fetches in that order when it wants more).</summary>
    public Task SetSequentialAsync(bool sequential) =>
        ChangeKeepingPeersAsync((live, _, _) => live.TrySetSequential(sequential), o => o with { Sequential = sequential }, startsIfMeant: true);

    /// <summary>Sets whether the torrent seeds once it has every piece it wants, and until when: once a run uploaded
    /// <paramref name="ratio"/> times its size, after <paramref name="time"/>, or once nothing was uploaded for
    /// <paramref name="idleTime"/> (from the last payload sent, or from when seeding began); null: no such limit, a ratio
    /// of 0 stops at once. A torrent that does not run uses it from its next start; a running one takes it with its peers
    /// kept (a download decides when its last piece is in; a seeding one counts a new limit from when it began to seed and
    /// ends at once, <see cref="TorrentState.Completed"/>, when it is no longer to seed or the limit is reached already);
    /// one that prepares, or runs the reference story, starts again with it.</summary>
    /// <exception cref="ArgumentException">A negative or infinite ratio, a negative time, or seeding asked of the
    /// single-peer reference engine (<see cref="DownloadEngine.Reference"/>), which only downloads; nothing changed.</exception>
    public Task SetSeedingAsync(bool seedAfterDownload, double? ratio = null, TimeSpan? time = null, TimeSpan? idleTime = null)
    {
        DownloadOptions Change(DownloadOptions o) => o with { SeedAfterDownload = seedAfterDownload, SeedRatio = ratio, SeedTime = time, SeedIdleTime = idleTime };
        Check(Change(CurrentOptions()));
        return ChangeKeepingPeersAsync(TryLive, Change); // a download not complete yet reads it when its last piece is in
    }

    /// <summary>As the overload with an idle limit, without one (kept for code built against it).</summary>
    public Task SetSeedingAsync(bool seedAfterDownload, double? ratio, TimeSpan? time) => SetSeedingAsync(seedAfterDownload, ratio, time, null);

    /// <summary>Turns BEP 16 super-seeding on or off (libtorrent's <c>super_seeding</c> flag): a torrent that seeds all
    /// its pieces tells each peer that connects it has nothing and reveals one piece at a time, so that each piece
    /// leaves once before any leaves twice. A running torrent takes it with its peers kept: turned on, the peers that
    /// connect from then on are super-seeded; turned off, each super-seeded peer hears of every piece at once.</summary>
    public Task SetSuperSeedAsync(bool superSeed) => ChangeKeepingPeersAsync(TryLive, o => o with { SuperSeed = superSeed });

    /// <summary>Caps the peers this torrent is connected to at once (libtorrent's per-torrent <c>max_connections</c>),
    /// under the session's <see cref="SessionSettings.MaxConnections"/>. A torrent added with
    /// <see cref="DownloadEngine.Auto"/> runs the swarm engine from then on, whatever the cap: a cap set here is one of
    /// the swarm's (1 is one swarm peer), while <c>MaxPeers = 1</c> given when a torrent is added picks the single-peer
    /// reference story. Taken at once by a torrent that does not run; a running one takes it with its peers kept (a
    /// lower cap drops the peers beyond it, those that exchanged the fewest bytes first), unless it prepares or runs the reference story, which
    /// starts again with it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1; nothing changed.</exception>
    /// <exception cref="InvalidOperationException">The torrent runs the reference engine by choice
    /// (<see cref="DownloadEngine.Reference"/>), which talks to one peer at a time.</exception>
    public Task SetMaxPeersAsync(int maxPeers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        if (CurrentOptions().Engine == DownloadEngine.Reference)
            throw new InvalidOperationException("this torrent runs the single-peer reference engine, which talks to one peer at a time");
        // The run goes on when it is the swarm's (the reference story, picked by MaxPeers = 1, starts again as a swarm).
        return ChangeKeepingPeersAsync(TryLive, o => o with
        {
            MaxPeers = maxPeers,
            Engine = o.Engine == DownloadEngine.Auto ? DownloadEngine.Swarm : o.Engine,
        });
    }

    /// <summary>Gives the torrent a peer to dial on every run (libtorrent's <c>connect_peer</c>, kept), beside those from
    /// trackers, the DHT and PEX; nothing happens when it has that peer already. A running torrent dials it with its
    /// other peers kept.</summary>
    /// <exception cref="ArgumentException">An address no peer source may dial (unspecified, broadcast, multicast,
    /// link-local, port 0) or one outside the session's <see cref="SessionSettings.PeerScope"/>; nothing changed.</exception>
    public Task AddPeerAsync(IPEndPoint peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var scope = _session.Session.Settings.PeerScope;
        if (!TorrentClient.MayDial(peer, scope))
            throw new ArgumentException($"{peer} may not be dialled (unspecified, broadcast, multicast and link-local addresses never are" +
                (scope == Tracker.PeerScope.Any ? ")" : $"; this session dials {scope.ToString().ToLowerInvariant()} addresses only)"), nameof(peer));
        if (ExtraPeers.Contains(peer)) return Task.CompletedTask;
        return ChangeKeepingPeersAsync((live, _, _) => live.TryAddPeer(peer),
            o => o.ExtraPeers.Contains(peer) ? o : o with { ExtraPeers = [.. o.ExtraPeers, peer] });
    }

    /// <summary>Moves the torrent's files and resume ledger to <paramref name="folder"/> (renamed on one file system,
    /// copied then deleted across two; undone on a failure) and goes on from there without hashing them again.</summary>
    /// <exception cref="Storage.StorageException">A file of the torrent is in the way in the new folder, or a file could not be
    /// moved (the data stays whole in the old folder, and the torrent goes on there).</exception>
    public Task MoveDataAsync(string folder, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var to = Path.GetFullPath(folder);
        return ChangeAsync(async o =>
        {
            await TorrentDataMove.MoveAsync(Torrent, o.OutputDirectory, to, ct).ConfigureAwait(false);
            return o with { OutputDirectory = to };
        }, TorrentState.Moving);
    }

    /// <summary>Moves the torrent's files to the paths of <paramref name="renamed"/> (the same torrent with its files
    /// renamed, <see cref="Metainfo.Torrent.WithFilePaths"/>), records them in its resume ledger and goes on from there without
    /// hashing again (libtorrent's <c>rename_file</c>); <see cref="Torrent"/> is <paramref name="renamed"/> from then on.
    /// A running torrent stops for the rename and starts again.</summary>
    /// <exception cref="ArgumentException"><paramref name="renamed"/> is another torrent.</exception>
    /// <exception cref="InvalidOperationException">The torrent seeds files it does not own
    /// (<see cref="TorrentSession.SeedAsync"/>).</exception>
    /// <exception cref="Storage.StorageException">A file is in the way at a new path, or could not be moved: nothing
    /// was renamed, and the torrent goes on as before.</exception>
    public Task RenameFilesAsync(Metainfo.Torrent renamed)
    {
        ArgumentNullException.ThrowIfNull(renamed);
        if (renamed.InfoHash != Torrent.InfoHash || renamed.Files.Count != Torrent.Files.Count)
            throw new ArgumentException("the renamed torrent is another torrent", nameof(renamed));
        lock (_lock)
        {
            if (_seedOnly is not null) throw new InvalidOperationException("a torrent seeding files it does not own cannot rename them");
        }
        return ChangeAsync(o =>
        {
            TorrentClient.RenameFiles(Torrent, renamed, o.OutputDirectory);
            lock (_lock) Torrent = renamed;
            return Task.FromResult(o);
        });
    }

    /// <summary>Points the torrent at <paramref name="folder"/> without moving anything (libtorrent's
    /// <c>move_storage</c> with <c>reset_save_path</c>: the data is there already, or is to be fetched there), then
    /// hashes what is there, as <see cref="RecheckAsync"/>.</summary>
    /// <exception cref="Storage.StorageException">A file in the folder cannot be read: the torrent is
    /// <see cref="TorrentState.Failed"/> with the error.</exception>
    public Task SetSaveFolderAsync(string folder, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var to = Path.GetFullPath(folder);
        return ChangeAsync(async o =>
        {
            await RehashAsync(to, ct).ConfigureAwait(false);
            return o with { OutputDirectory = to };
        }, TorrentState.Checking, failsTorrent: true);
    }

    /// <summary>Hashes the torrent's data on disk again and records what verifies in its resume ledger: a piece that no
    /// longer matches is fetched again, one that appeared is kept. The pieces found are reported again.</summary>
    /// <exception cref="Storage.StorageException">A file cannot be read: the torrent is <see cref="TorrentState.Failed"/>
    /// with the error.</exception>
    public Task RecheckAsync(CancellationToken ct = default) => ChangeAsync(async o =>
    {
        await RehashAsync(o.OutputDirectory, ct).ConfigureAwait(false);
        return o;
    }, TorrentState.Checking, failsTorrent: true);

    private async Task RehashAsync(string folder, CancellationToken ct)
    {
        Directory.CreateDirectory(folder); // a folder it never wrote to: nothing is intact there
        bool seedOnly;
        lock (_lock) seedOnly = _seedOnly is not null;
        // A seed-only torrent writes nothing below its folder: it seeds what the hash finds, with no ledger.
        var report = await TorrentClient.VerifyAsync(Torrent, folder, writeLedger: !seedOnly, ct).ConfigureAwait(false);
        lock (_lock)
        {
            if (seedOnly) _seedOnly = report.Have;
            ForgetPiecesLocked();
            VerifiedLocked(PieceStates.From(report.Have));
        }
    }

    /// <summary>Replaces the trackers (tiers of URLs, BEP 12), or with null goes back to the torrent's own. A running
    /// torrent announces <c>started</c> to the new list at once, its peers kept.</summary>
    /// <exception cref="ArgumentException">A URL that is not one we announce to (not http, https or udp, or a host that
    /// may not be used); nothing changed.</exception>
    public Task SetTrackersAsync(IReadOnlyList<IReadOnlyList<string>>? tiers)
    {
        foreach (var url in (tiers ?? []).SelectMany(t => t))
            if (TorrentClient.RefusedTrackerUrl(url) is { } why) throw new ArgumentException($"tracker '{url}': {why}", nameof(tiers));
        var copy = TrackerTiers.Copy(tiers);
        return ChangeTrackersAsync(_ => copy);
    }

    /// <summary>Adds a tracker as a tier of its own (BEP 12) and announces to it (a running torrent at once, its peers
    /// kept).</summary>
    /// <exception cref="ArgumentException">The URL is not one we announce to (not http, https or udp, or a host that may
    /// not be used); nothing changed.</exception>
    public Task AddTrackerAsync(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (TorrentClient.RefusedTrackerUrl(url) is { } why) throw new ArgumentException($"tracker '{url}': {why}", nameof(url));
        return ChangeTrackersAsync(tiers => TrackerTiers.WithAdded(tiers, url));
    }

    /// <summary>Removes a tracker from every tier (an empty tier goes too); nothing happens when it is not there. A running
    /// torrent announces to the list left, its peers kept.</summary>
    public Task RemoveTrackerAsync(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return ChangeTrackersAsync(tiers => TrackerTiers.WithRemoved(tiers, url));
    }

    /// <summary>Announces to the trackers now (libtorrent's <c>force_reannounce</c>): a running torrent's next announce is
    /// sent at once, with its peers kept; a torrent that does not run announces when it starts.</summary>
    public Task ReannounceAsync() => ChangeKeepingPeersAsync((live, _, _) => live.TryReannounce(), o => o);

    /// <summary>Changes the trackers to what <paramref name="tiers"/> makes of the list now (null: the torrent's own),
    /// live when the torrent runs; nothing happens when it returns the list it was given.</summary>
    private Task ChangeTrackersAsync(Func<IReadOnlyList<IReadOnlyList<string>>, IReadOnlyList<IReadOnlyList<string>>?> tiers) =>
        ChangeKeepingPeersAsync(TryLive, o =>
        {
            var now = TrackersOf(o);
            var next = tiers(now);
            return ReferenceEquals(next, now) ? o : o with { Trackers = next };
        });

    /// <summary>The torrent's settings as its next run reads them: those it was added with, as changed since (its own
    /// <see cref="DownloadLimit"/> and <see cref="UploadLimit"/>, its file priorities, its folder).</summary>
    public DownloadOptions Options
    {
        get { lock (_lock) return _options with { Events = null, Live = null }; }
    }

    /// <summary>Replaces the torrent's settings (MonoTorrent's <c>UpdateSettingsAsync</c>), as the methods above change
    /// one each: a torrent that does not run takes them at once (completing the returned task) and uses them from its
    /// next start; a running one takes them with its peers kept when only live settings changed (the peer cap, piece
    /// order, file priorities, trackers, peers to dial, and its seeding plan until it completes), and starts again
    /// with them otherwise. Its folder and its limits stay the handle's: pass
    /// <see cref="Options"/> changed with <c>with</c>; move the data with <see cref="MoveDataAsync"/>, and change a limit
    /// through its <see cref="RateLimit.BytesPerSecond"/>.</summary>
    /// <exception cref="ArgumentException">A value out of range, a combination the engine cannot honour, session
    /// settings, another output folder, other limit objects, or not one priority per file; nothing changed.</exception>
    public Task SetOptionsAsync(DownloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TorrentSession.CheckOptions(options);
        Check(options);
        PieceSelection.For(Torrent, options.FilePriorities); // one known priority per file
        if (Path.GetFullPath(options.OutputDirectory) != Path.GetFullPath(SaveFolder))
            throw new ArgumentException("the options name another output folder: move the data with MoveDataAsync, or point the torrent there with SetSaveFolderAsync", nameof(options));
        if (!ReferenceEquals(options.DownloadLimit, DownloadLimit) || !ReferenceEquals(options.UploadLimit, UploadLimit))
            throw new ArgumentException("the options hold other limits: change the handle's DownloadLimit and UploadLimit through their BytesPerSecond", nameof(options));
        return ChangeKeepingPeersAsync(TryLive, o => options with { Events = this, Live = o.Live });
    }

    /// <summary>Gives a running torrent new options with its peers kept when all that changed is live
    /// (<see cref="LiveChanges.TryTake"/>); false when it starts again with them.</summary>
    private bool TryLive(LiveChanges live, DownloadOptions before, DownloadOptions after) => live.TryTake(before, after, Torrent);

    private DownloadOptions CurrentOptions()
    {
        lock (_lock) return _options;
    }

    /// <summary>Refuses settings a run would refuse, before anything changes.</summary>
    /// <exception cref="ArgumentException">A value out of range, or a combination the engine cannot honour.</exception>
    private void Check(DownloadOptions options)
    {
        SettingsCheck.Check(options);
        TorrentClient.CheckCombination(_session.Session, options);
    }
}
