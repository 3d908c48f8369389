using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

// What the swarm's timer (SwarmTimer.cs) leads to: a swarm a seeding torrent may let go, a failure, what the simulator
// traces of choking, and the progress report.
internal sealed partial class TorrentSwarm
{
    /// <summary>Nothing would be lost by letting this swarm go: a seeder with no peer connected, none being dialled,
    /// no address due for a dial within <paramref name="horizon"/>, and no piece being written.</summary>
    internal bool CanPark(TimeSpan horizon)
    {
        if (Downloading || ConnectedCount > 0 || _dialler.Connecting > 0 || _handOver.Pending > 0) return false;
        return _book.NextTry() is not { } next || next > Time.GetUtcNow() + horizon;
    }

    /// <summary>Ends the session with an error (stall, disk failure).</summary>
    public void Fail(Exception error) => _failed.TrySetException(error);

    /// <summary>The upload slots the choker fills now, the optimistic one included (the simulator's trace).</summary>
    internal int UploadSlotsNow => _choking.SlotsNow;

    /// <summary>Choke rounds run on the clock, and in all (the simulator's trace: <see cref="Choking.Rounds"/>).</summary>
    internal int TimedChokeRounds => _choking.TimedRounds;
    internal int ChokeRounds => _choking.Rounds;

    /// <summary>The progress report: pieces, rates, peers.</summary>
    public DownloadProgress Snapshot() => Progress.Snapshot();
}
