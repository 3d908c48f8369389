using TorrentLab.Client;

namespace TorrentLab.Web;

/// <summary>A run's seeding: whether it seeds once complete, and its share limits as the engine counts them
/// (<see cref="TorrentHandle.SetSeedingAsync(bool, double?, TimeSpan?, TimeSpan?)"/>): the ratio and the time from when
/// the run began to seed, the idle time from the last upload; null: no such limit.</summary>
internal sealed record SeedingRun(bool Seed, double? Ratio, TimeSpan? Time, TimeSpan? Idle)
{
    /// <summary>These limits, which count over every run (qBittorrent's ratio and seeding time are a torrent's totals),
    /// less what the torrent had uploaded and seeded when its run began, since the engine counts from there; a limit
    /// reached already is 0, which ends the seeding at once. Not seeding: no limits.</summary>
    public SeedingRun Less((long Uploaded, long SecondsSeeding) before, long size) => !Seed ? new(false, null, null, null) : this with
    {
        Ratio = Ratio is { } r ? Math.Max(0, r - (size == 0 ? 0 : (double)before.Uploaded / size)) : null,
        Time = Time is { } t ? TimeSpan.FromTicks(Math.Max(0, (t - TimeSpan.FromSeconds(before.SecondsSeeding)).Ticks)) : null,
    };
}

/// <summary>Share limits: a torrent stops seeding at a ratio (uploaded over its size), after a seeding time, or once it
/// uploaded nothing for an idle time; each set per torrent (<see cref="SeedPolicy"/>) over the server's defaults
/// (<see cref="WebSettings"/>). The engine enforces them (<c>SeedingTorrent</c>'s limit timer on the session's clock);
/// this class turns the settings into the engine's limits and, when a limit ends a torrent's seeding, takes the
/// server's action: pause it, remove it, or remove it with its files (qBittorrent's <c>max_ratio_act</c>).</summary>
internal sealed class ShareLimits(TorrentManager torrents, Action<string>? log)
{
    /// <summary>The actions, as <see cref="WebSettings.SeedLimitAction"/> names them.</summary>
    public const string Pause = "pause", Remove = "remove", RemoveData = "remove-data";

    public static readonly IReadOnlyList<string> Actions = [Pause, Remove, RemoveData];

    /// <summary>The seeding a torrent is to do: each limit its own, else its category's, else the default; the limits as
    /// totals over every run (a value of 0 is "no limit", as in the settings). Only the swarm engine seeds.</summary>
    public static SeedingRun Plan(ManagedTorrent torrent, WebSettings defaults, bool swarmEngine, CategoryLimits? category)
    {
        var policy = torrent.Seeding;
        var seed = (policy.Seed ?? defaults.SeedAfterDownload ?? false) && swarmEngine;
        var ratio = policy.Ratio ?? category?.Ratio ?? defaults.SeedRatio;
        var minutes = policy.Minutes ?? category?.Minutes ?? defaults.SeedMinutes;
        var idle = policy.IdleMinutes ?? category?.IdleMinutes ?? defaults.SeedIdleMinutes;
        return new SeedingRun(seed, ratio is > 0 ? ratio : null, minutes is > 0 ? TimeSpan.FromMinutes(minutes.Value) : null,
            idle is > 0 ? TimeSpan.FromMinutes(idle.Value) : null);
    }

    /// <summary>Gives a running torrent its limits now (a change of its own, of its category's or of the defaults), its peers kept; one that
    /// does not run takes them at its next start. A limit reached already ends its seeding at once, as a limit
    /// reached later would.</summary>
    public async Task ApplyAsync(ManagedTorrent torrent)
    {
        if (!torrent.IsRunning) return;
        var run = torrents.Queue.SeedFor(torrent).Less(torrent.ShareBase, torrent.Torrent.PayloadLength);
        await torrent.Handle.SetSeedingAsync(run.Seed, run.Ratio, run.Time, run.Idle).ConfigureAwait(false);
    }

    /// <summary><see cref="ApplyAsync"/> for a change made elsewhere (the defaults, a category's limits) that does not
    /// wait for it: a torrent that could not take its limits is one warning line, not an exception nobody sees.</summary>
    public void ApplySoon(ManagedTorrent torrent) => _ = ApplyLoggedAsync(torrent);

    private async Task ApplyLoggedAsync(ManagedTorrent torrent)
    {
        try
        {
            await ApplyAsync(torrent).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log?.Invoke($"warning: share limits: '{torrent.Torrent.Name}' did not take its new limits: {e.Message}");
        }
    }

    /// <summary>The torrent's run ended complete: when a share limit ended its seeding (the handle was to seed on, and
    /// stopped by itself), the server's action is taken, off the caller's thread (a removal waits for the session). A
    /// pause is what the engine did already: the torrent stays in the list, complete and stopped, and does not resume
    /// at the next start of the server.</summary>
    public void OnCompleted(ManagedTorrent torrent)
    {
        // A run that completes without seeding leaves SeedAfterDownload off; a pause or a removal ends as Paused.
        if (torrent.Handle.State != Client.TorrentState.Completed || !torrent.Handle.SeedAfterDownload) return;
        var action = torrents.Settings.SeedLimitAction ?? Pause;
        if (action == Pause) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await torrents.RemoveAsync(torrent, deleteData: action == RemoveData).ConfigureAwait(false);
                log?.Invoke($"removed '{torrent.Torrent.Name}'{(action == RemoveData ? " and its data" : "")}: it reached its share limit");
            }
            catch (Exception e) when (e is WebApiException or IOException or UnauthorizedAccessException)
            {
                log?.Invoke($"'{torrent.Torrent.Name}' reached its share limit but was not removed: {e.Message}");
            }
        });
    }
}
