namespace TorrentLab.Pieces;

/// <summary>What the open streams of one torrent read now and next (<c>Client/TorrentFileStream.cs</c>): their
/// windows of pieces, which the <see cref="PieceManager"/> starts before any other wanted piece, and the signal that
/// a piece is on disk, which a waiting read is woken by.</summary>
/// <remarks>
/// <para>One per torrent in a session (<c>Swarm/ReadDemands.cs</c>), shared by the torrent's streams and by each run of
/// it: a stream outlives a pause or a change of priorities, and the next run's swarm starts with the windows already
/// set. The picker reads <see cref="Windows"/> under the piece manager's lock without taking this one: the array is
/// replaced, never changed in place.</para>
/// <para>A window only orders what is wanted: a piece of a skipped file is never fetched for a stream (the handle makes
/// the file wanted when a stream opens it).</para>
/// </remarks>
internal sealed class ReadDemand
{
    private readonly Lock _lock = new();
    private readonly List<(object Reader, PieceRange Window)> _readers = []; // in the order they opened: the first is served first
    private readonly Dictionary<int, TaskCompletionSource> _waiting = [];
    private PieceRange[] _windows = [];
    private Func<int, bool>? _onDisk; // the running swarm's written pieces; null while none runs
    private Action<int>? _written;

    /// <summary>The pieces streams want next, most urgent window first; read without a lock (a snapshot).</summary>
    public PieceRange[] Windows => Volatile.Read(ref _windows);

    /// <summary>Users of this demand (streams, handles, swarms); the registry forgets it at zero. Guarded by the registry.</summary>
    internal int Users { get; set; }

    /// <summary>Sets the window of <paramref name="reader"/>: the pieces under its position and ahead of it.</summary>
    public void SetWindow(object reader, PieceRange window)
    {
        lock (_lock)
        {
            var i = _readers.FindIndex(r => r.Reader == reader);
            if (i >= 0) _readers[i] = (reader, window);
            else _readers.Add((reader, window));
            Volatile.Write(ref _windows, [.. _readers.Select(r => r.Window)]);
        }
    }

    /// <summary>Drops the window of <paramref name="reader"/> (a stream disposed): its pieces go back to the usual order.</summary>
    public void ClearWindow(object reader)
    {
        lock (_lock)
        {
            if (_readers.RemoveAll(r => r.Reader == reader) > 0) Volatile.Write(ref _windows, [.. _readers.Select(r => r.Window)]);
        }
    }

    /// <summary>A swarm of this torrent runs: <paramref name="onDisk"/> says which pieces it has written.</summary>
    public void Attach(Func<int, bool> onDisk)
    {
        lock (_lock) _onDisk = onDisk;
    }

    /// <summary>The swarm that attached <paramref name="onDisk"/> stopped.</summary>
    public void Detach(Func<int, bool> onDisk)
    {
        lock (_lock) if (_onDisk == onDisk) _onDisk = null;
    }

    /// <summary>Told each piece as it is written (in the order they are written), on the writing task: must be quick.</summary>
    public event Action<int>? PieceWritten
    {
        add { lock (_lock) _written += value; }
        remove { lock (_lock) _written -= value; }
    }

    /// <summary>The swarm wrote piece <paramref name="index"/> (verified first): tells the listeners, wakes the reads
    /// waiting for it.</summary>
    public void Written(int index)
    {
        Action<int>? written;
        lock (_lock) written = _written;
        written?.Invoke(index);
        Wake(index);
    }

    /// <summary>Piece <paramref name="index"/> is known on disk (written, or found verified by a run's progress): the
    /// reads waiting for it go on. Never calls out under its lock, so a caller may hold a lock of its own.</summary>
    public void Wake(int index)
    {
        TaskCompletionSource? waiter;
        lock (_lock) _waiting.Remove(index, out waiter);
        waiter?.TrySetResult(); // continuations run on their own threads (RunContinuationsAsynchronously)
    }

    /// <summary>Completes once piece <paramref name="index"/> is on disk: at once when the running swarm has written it
    /// or <paramref name="known"/> says so (what the caller knows is on disk), else when it is written. The waiter is
    /// registered before either is asked (outside the lock), so a write in between is not missed.</summary>
    public Task WhenOnDiskAsync(int index, Func<int, bool> known, CancellationToken ct)
    {
        TaskCompletionSource? waiter;
        Func<int, bool>? onDisk;
        lock (_lock)
        {
            if (!_waiting.TryGetValue(index, out waiter))
            {
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting[index] = waiter;
            }
            onDisk = _onDisk;
        }
        if (onDisk?.Invoke(index) == true || known(index)) Wake(index);
        return waiter.Task.IsCompleted ? waiter.Task : waiter.Task.WaitAsync(ct);
    }
}

/// <summary>Pieces <paramref name="First"/> to <paramref name="Last"/>, both included.</summary>
internal readonly record struct PieceRange(int First, int Last);
