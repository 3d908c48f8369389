using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>What a swarm download keeps on disk while it runs: its storage, its ledger (saved at the start, every few
/// seconds, at completion and once more when let go) and the files no piece has reached yet, created in the background.</summary>
/// <remarks>Files are created by their first piece or in the background, not all before the first connection: a torrent
/// of 500,000 files took minutes to create them, and meanwhile nothing listened, announced or timed out.</remarks>
internal sealed class DownloadFiles(FileStorage storage, Func<Bitfield> written, TimeSpan interval) : IAsyncDisposable
{
    private readonly ResumeSaver _saver = new(new ResumeLedger(storage.Layout), storage, written, interval);
    private readonly CancellationTokenSource _stopCreating = new();
    private bool _handedOn;

    /// <summary>Completes once every file exists and the ledger records them; faults when one cannot be created.</summary>
    public Task Created { get; private set; } = Task.CompletedTask;

    /// <summary>Records the files already there as ours at once, then creates the others in the background.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await _saver.SaveNowAsync(force: true, ct).ConfigureAwait(false);
        Created = CreateRemainingAsync(_stopCreating.Token);
    }

    private async Task CreateRemainingAsync(CancellationToken ct)
    {
        await storage.CreateRemainingAsync(ct).ConfigureAwait(false);
        await _saver.SaveNowAsync(force: true, ct).ConfigureAwait(false);
    }

    /// <summary>Every wanted piece is written: once every file exists (an empty one gets no piece), the ledger is saved a
    /// last time (a cancel arriving now must not turn a completion into a failure) and the periodic saves end.</summary>
    public async Task CompleteAsync()
    {
        await Created.ConfigureAwait(false);
        await _saver.SaveNowAsync(force: true, CancellationToken.None).ConfigureAwait(false);
        await _saver.DisposeAsync().ConfigureAwait(false); // nothing is written while seeding
    }

    /// <summary>The storage goes on with a seeding torrent: letting these files go leaves it open.</summary>
    public FileStorage HandOn()
    {
        _handedOn = true;
        return storage;
    }

    /// <summary>Stops the creation; unless handed on, saves the ledger a last time (call it once the swarm has stopped
    /// writing) and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopCreating.CancelAsync().ConfigureAwait(false);
        try { await Created.ConfigureAwait(false); }
        catch (Exception e) when (e is OperationCanceledException or StorageException) { } // thrown already, or stopping
        _stopCreating.Dispose();
        if (_handedOn) return;
        try { await _saver.DisposeAsync().ConfigureAwait(false); } // the final save (completion or cancel)
        finally { storage.Dispose(); }
    }
}
