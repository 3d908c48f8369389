namespace TorrentLab.Simulation;

/// <summary>The process a simulation needs: one processor as .NET sees it and one thread-pool thread, so every
/// continuation runs on that thread in one order (<see cref="Driver"/>).</summary>
internal static class SingleThread
{
    /// <summary>The environment variable that makes .NET see one processor; set by whoever starts the process.</summary>
    public const string ProcessorCountVariable = "DOTNET_PROCESSOR_COUNT";

    /// <summary>Makes the thread pool one thread (its minimum and maximum), or says why it cannot.</summary>
    /// <exception cref="InvalidOperationException">The process sees more than one processor, or the pool refused.</exception>
    public static void Check()
    {
        if (Environment.ProcessorCount != 1)
            throw new InvalidOperationException($"a simulation runs with {ProcessorCountVariable}=1 (this process sees {Environment.ProcessorCount} processors)");
        if (!ThreadPool.SetMinThreads(1, 1) || !ThreadPool.SetMaxThreads(1, 1))
            throw new InvalidOperationException("the thread pool refused to be one thread");
        ThreadPool.GetMaxThreads(out var workers, out _);
        if (workers != 1) throw new InvalidOperationException($"the thread pool has {workers} threads, not 1");
    }
}
