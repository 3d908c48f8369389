using System.Runtime.InteropServices;

namespace TorrentLab.Web;

/// <summary>Gives memory back to the system once a burst of work is over. A start that loads ten thousand torrents, or
/// thousands of adds, leaves freed memory in the managed heap and in the C heap, and neither hands it back on its own
/// while the server sits idle (measured with 10,000 torrents: 6 MB in glibc's heap alone, about 600 bytes per torrent).
/// Each piece of work calls <see cref="Poke"/>; once none has come for <see cref="Quiet"/>, one compacting collection
/// and a <c>malloc_trim</c> run.</summary>
internal sealed class MemorySettler : IDisposable
{
    /// <summary>How long without work before memory is settled: a burst of adds or starts is over by then.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    private readonly ITimer _timer;
    private readonly Action _settle;

    /// <param name="time">The clock the quiet time runs on.</param>
    /// <param name="settle">What settling does (tests count it); by default <see cref="Settle"/>.</param>
    public MemorySettler(TimeProvider time, Action? settle = null)
    {
        _settle = settle ?? (() => Settle());
        _timer = time.CreateTimer(static state => ((MemorySettler)state!)._settle(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Work was done: memory is settled <see cref="Quiet"/> after the last call.</summary>
    public void Poke() => _timer.Change(Quiet, Timeout.InfiniteTimeSpan);

    /// <summary>Compacts the managed heap, returning its free space, then asks glibc to return the C heap's free pages.
    /// True when the C heap could be asked (Linux with glibc); false elsewhere, where only the managed heap settles.</summary>
    public static bool Settle()
    {
        // A blocking, compacting collection that also decommits what it frees (one pause of tens of milliseconds at
        // ten thousand torrents, after a burst, never on a busy server's every change).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // a C library without malloc_trim (musl)
        }
    }

    public void Dispose() => _timer.Dispose();

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
