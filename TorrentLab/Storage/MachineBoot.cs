namespace TorrentLab.Storage;

/// <summary>Which start of the operating system this process runs in: Linux's <c>/proc/sys/kernel/random/boot_id</c>,
/// a random id the kernel makes anew at every boot; null where the platform does not say.</summary>
/// <remarks>Data written but not yet flushed survives the end of a process (it is in the page cache), not a restart
/// of the machine. A resume ledger saved without flushing records this id, so that a later boot checks its pieces
/// again instead of trusting them.</remarks>
internal static class MachineBoot
{
    private static readonly Lazy<string?> Current = new(() => Read("/proc/sys/kernel/random/boot_id"));

    /// <summary>This boot's id, or null when it cannot be read.</summary>
    public static string? Id => Current.Value;

    /// <summary>The trimmed contents of <paramref name="path"/>, or null when it is missing, unreadable or empty.</summary>
    internal static string? Read(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return text.Length > 0 ? text : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
