using System.Net.Sockets;
using TorrentLab.Bencode;
using TorrentLab.Extensions;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Cli;

/// <summary>Turns every failure of a command into one line on stderr and a distinct exit code, never a stack trace.</summary>
internal static class CliErrors
{
    /// <summary>Longest error line printed (a list of failed peers can be long; a 1 MB tracker reason is not).</summary>
    private const int MaxMessageLength = 4000;

    /// <summary>Runs a command body and maps what it throws to <see cref="ExitCodes"/>.</summary>
    public static async Task<int> GuardAsync(Func<Task<int>> body, CancellationToken cancellation = default)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var (code, message) = Classify(e, cancellation);
            // One line, whatever a tracker or peer put into the message: no terminal escapes, no forged lines.
            if (message.Length > 0) Console.Error.WriteLine(UntrustedText.Clean(message, MaxMessageLength));
            // For developers of TorrentLab: the whole exception, which users never see.
            if (Environment.GetEnvironmentVariable("TORRENTLAB_DEBUG") == "1") Console.Error.WriteLine(e);
            return code;
        }
    }

    /// <summary>The exit code and the one-line message for an exception.</summary>
    public static (int Code, string Message) Classify(Exception e, CancellationToken cancellation = default) => e switch
    {
        OperationCanceledException when cancellation.IsCancellationRequested => (ExitCodes.Interrupted, "interrupted"),
        BencodeException { IsLimit: true } b => (ExitCodes.BadInput, $"error: input over a limit: {b.Message}"),
        BencodeException b => (ExitCodes.BadInput, $"error: invalid bencode: {b.Message}"),
        MetainfoException m => (ExitCodes.BadInput, $"error: invalid torrent: {m.Message}"),
        MagnetException m => (ExitCodes.BadInput, $"error: invalid magnet link: {m.Message}"),
        MetadataException m => (ExitCodes.Peer, $"error: metadata: {m.Message}"),
        ExtensionException x => (ExitCodes.Peer, $"error: peer: {x.Message}"),
        TrackerException t => (ExitCodes.Tracker, $"error: tracker: {t.Message}"),
        WireException w => (ExitCodes.Peer, $"error: peer: {w.Message}"),
        StorageException { IsOutOfSpace: true } s => (ExitCodes.NoSpace, $"error: no space left on device: {s.Message}"),
        StorageException s => (ExitCodes.Io, $"error: {s.Message}"),
        SocketException s => (ExitCodes.Peer, $"error: network: {s.Message}"),
        TimeoutException t => (ExitCodes.Peer, $"error: timed out: {t.Message}"),
        FileNotFoundException f => (ExitCodes.Io, $"error: file not found: {f.FileName ?? f.Message}"),
        DirectoryNotFoundException d => (ExitCodes.Io, $"error: {d.Message}"),
        UnauthorizedAccessException u => (ExitCodes.Io, $"error: permission denied: {u.Message}"),
        IOException io when IsOutOfSpace(io) => (ExitCodes.NoSpace, $"error: no space left on device: {io.Message}"),
        IOException io => (ExitCodes.Io, $"error: {io.Message}"),
        TorrentLabException t => (ExitCodes.Failed, $"error: {t.Message}"),
        UsageException u => (ExitCodes.Usage, $"error: {u.Message}"),
        _ => (ExitCodes.Failed, $"error: unexpected {e.GetType().Name}: {e.Message}"),
    };

    // ENOSPC is 28 on Linux; .NET reports it in the low 16 bits of HResult.
    private static bool IsOutOfSpace(IOException e) => (e.HResult & 0xFFFF) == 28 || e.HResult == unchecked((int)0x80070070);
}
