using TorrentLab.Wire;

namespace TorrentLab.Storage;

/// <summary>Saves the resume ledger every few seconds while a download runs, and once more when it is disposed
/// (completion or cancel).</summary>
/// <remarks><para>Where the machine's boot can be told (<see cref="ResumeLedger.BootId"/>), a save does not flush the
/// storage: the ledger records the boot and is trusted only within it, which is all that a stopped or killed process
/// needs (its writes are in the page cache). A flush there would cost more than its own time: on a virtual disk it
/// flushes the host's cache too, and every write of the download waits behind it (about half a second per flush on the
/// benchmark machine; bench/README.md, tenth pass). Where the boot cannot be told, each save flushes the storage
/// first, so the ledger never lists a piece a restart could lose.</para>
/// <para>A failed periodic save is kept in <see cref="LastError"/> and retried at the next tick; the final save in
/// <see cref="DisposeAsync"/> throws, so a download never ends believing its ledger was written.</para></remarks>
internal sealed class ResumeSaver : IAsyncDisposable
{
    private readonly ResumeLedger _ledger;
    private readonly IPieceStorage _storage;
    private readonly Func<Bitfield> _snapshot;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly bool _flush;
    private int _savedCount = -1;

    /// <param name="ledger">The ledger to write.</param>
    /// <param name="storage">Flushed before each save where the ledger cannot record the boot.</param>
    /// <param name="snapshot">Returns the verified pieces now (e.g. <c>PieceManager.SnapshotHave</c>).</param>
    /// <param name="interval">Time between saves; 5 s by default.</param>
    /// <param name="clock">The timer's clock (tests pass a manual one); null for the system clock.</param>
    public ResumeSaver(ResumeLedger ledger, IPieceStorage storage, Func<Bitfield> snapshot, TimeSpan? interval = null,
        TimeProvider? clock = null)
    {
        _ledger = ledger;
        _storage = storage;
        _snapshot = snapshot;
        _flush = ledger.BootId is null;
        _loop = RunAsync(interval ?? TimeSpan.FromSeconds(5), clock ?? TimeProvider.System);
    }

    /// <summary>The error of the last periodic save, or null when it succeeded.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Number of ledgers written so far.</summary>
    public int Saves { get; private set; }

    /// <summary>Saves now (flushing first where needed) unless nothing changed since the last save (or <paramref name="force"/>).</summary>
    public async Task SaveNowAsync(bool force = false, CancellationToken cancellation = default)
    {
        await _gate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var have = _snapshot();
            if (!force && have.Count == _savedCount) return;
            if (_flush) await _storage.FlushAsync(cancellation).ConfigureAwait(false);
            _ledger.Save(have, flushed: _flush);
            _savedCount = have.Count;
            Saves++;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RunAsync(TimeSpan interval, TimeProvider clock)
    {
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await SaveNowAsync(cancellation: _stop.Token).ConfigureAwait(false);
                    LastError = null;
                }
                catch (StorageException e)
                {
                    LastError = e; // kept for the engine to report; the next tick tries again
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: the final save happens in DisposeAsync.
        }
    }

    /// <summary>Stops the timer and saves one last time (throws if that save fails).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        try
        {
            await SaveNowAsync().ConfigureAwait(false);
        }
        finally
        {
            _stop.Dispose();
            _gate.Dispose();
        }
    }
}
