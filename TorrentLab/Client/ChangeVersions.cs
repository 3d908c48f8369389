namespace TorrentLab.Client;

/// <summary>A torrent's change counters: a version that moves on every change a viewer would see, an activity version
/// that moves only when payload moved too, and the one waiter of the next change (<see cref="TorrentHandle.Version"/>,
/// <see cref="TorrentHandle.WaitForChangeAsync"/>).</summary>
/// <remarks>Read from any thread; moved and waited on under the handle's lock.</remarks>
internal sealed class ChangeVersions
{
    private int _version;
    private int _activity;
    private TaskCompletionSource<int>? _changed; // made by a waiter; completed by the next change

    /// <summary>Moves on every change.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Moves on every change in which payload moved.</summary>
    public int Activity => Volatile.Read(ref _activity);

    /// <summary>Something changed (under the handle's lock): the version moves (and the activity version, unless
    /// <paramref name="activity"/> is false), and the waiter is woken.</summary>
    public void Bump(bool activity)
    {
        Volatile.Write(ref _version, _version + 1);
        if (activity) Volatile.Write(ref _activity, _activity + 1);
        if (_changed is { } changed)
        {
            _changed = null;
            changed.TrySetResult(_version);
        }
    }

    /// <summary>The version once it differs from <paramref name="version"/> (at once when it does already; under the
    /// handle's lock).</summary>
    public Task<int> NextAfter(int version) => _version != version
        ? Task.FromResult(_version)
        : (_changed ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
}
