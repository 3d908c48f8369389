namespace TorrentLab.Swarm;

/// <summary>Which piece checks and writes a receive loop hands to a task of its own, and how many may wait at once
/// (the loop's back-pressure); the session's work slots share the cores among its torrents.</summary>
internal sealed class PieceHandOver
{
    private readonly TorrentSwarm _swarm;

    public PieceHandOver(TorrentSwarm swarm) => _swarm = swarm;

    /// <summary>With fewer peers delivering than there are cores, a receive loop hands each piece it completes (the
    /// hash check and the write) to a task of its own and goes on receiving: with one seeder, the one loop was the
    /// download's bottleneck while a core waited. With a loop busy on every core, a hand-over adds only a wake-up, and
    /// the loop checks the piece itself (bench/README.md, "Decisions in the code").</summary>
    /// <remarks>The peers counted are the session's: every torrent's loops share the cores.</remarks>
    public bool BesideTheLoops => _swarm.Session.DeliveringPeers < _swarm.Cores;

    /// <summary>Pieces handed over that may wait at once, each holding its buffer: a receive loop hands over its next
    /// one only when one of these is written.</summary>
    private const int MaxPendingWrites = 2;

    private readonly SemaphoreSlim _writeSlots = new(MaxPendingWrites, MaxPendingWrites);

    /// <summary>Pieces handed over to a write that has not finished.</summary>
    public int Pending => MaxPendingWrites - _writeSlots.CurrentCount;

    /// <summary>Runs <paramref name="work"/> on a task of its own once one of <see cref="MaxPendingWrites"/> slots is
    /// free (the wait is the receive loop's back-pressure). A failure fails the download, as a full disk must.</summary>
    public async ValueTask RunAsync(Func<CancellationToken, ValueTask> work, CancellationToken ct)
    {
        await _writeSlots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _swarm.Session.WorkSlots.WaitAsync(ct).ConfigureAwait(false); // the session's cores, shared by its torrents
        }
        catch
        {
            _writeSlots.Release();
            throw;
        }
        var stopping = _swarm.Stopping; // taken now: the work may outlive the swarm's disposal by the drain's deadline
        _ = Task.Run(WorkAsync, CancellationToken.None);

        async Task WorkAsync()
        {
            try
            {
                await work(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { /* stopping: the ledger keeps what was written */ }
            catch (Exception e)
            {
                _swarm.Fail(e);
            }
            finally
            {
                _swarm.Session.WorkSlots.Release();
                _writeSlots.Release();
            }
        }
    }

    /// <summary>Waits (until <paramref name="deadline"/>) for the pieces handed over to be written: every slot free.</summary>
    public async Task DrainAsync(Task deadline)
    {
        for (var i = 0; i < MaxPendingWrites; i++)
        {
            var slot = _writeSlots.WaitAsync();
            if (await Task.WhenAny(slot, deadline).ConfigureAwait(false) != slot) return;
        }
    }
}
