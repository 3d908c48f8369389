namespace TorrentLab.Web;

// A download the disk guard holds: it waits in the queue, still wanting to run, until its volume has room again.
internal sealed partial class ManagedTorrent
{
    /// <summary>Why it waits when it waits for disk space, else null (set by the manager; called outside this
    /// torrent's lock, as <see cref="SeedsWhenComplete"/>).</summary>
    public Func<ManagedTorrent, string?>? SpaceWaitOf { get; init; }

    /// <summary>Marks a running download as waiting in the queue for disk space, with <paramref name="reason"/> in its
    /// log; the caller stops its run. False when it was not downloading.</summary>
    public bool HoldForSpace(string reason)
    {
        lock (_lock)
        {
            if (StateLocked() != TorrentState.Downloading) return false;
            _step = Step.Queued; // it keeps its queue ticket, and _wants: it resumes first, and after a restart
            Bump();
        }
        AddLog(reason);
        return true;
    }
}
