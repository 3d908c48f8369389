using System.Collections.Concurrent;
using System.Globalization;

namespace TorrentLab.Cli.Display;

/// <summary><c>--log-file FILE</c>: the protocol log appended to a file, one timestamped line each, flushed as written
/// (a crash or a kill loses nothing already logged); and the timestamps of <c>-v</c> lines.</summary>
internal static class LogFileWriter
{
    private static readonly ConcurrentDictionary<string, TextWriter> Open = new(StringComparer.Ordinal);

    /// <summary>The one writer of <paramref name="path"/> in this process (a command may read its options twice).</summary>
    /// <exception cref="IOException">The file cannot be opened for appending.</exception>
    public static TextWriter For(string path) => Open.GetOrAdd(Path.GetFullPath(path), full =>
    {
        var stream = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        return TextWriter.Synchronized(new StreamWriter(stream) { AutoFlush = true });
    });

    /// <summary>The time of a <c>-v</c> line on stderr: <c>14:03:07.123</c>.</summary>
    public static string Short(DateTimeOffset time) => time.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>The time of a line in the log file, with its date and offset: <c>2026-11-25T14:03:07.123+01:00</c>.</summary>
    public static string Long(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
}
