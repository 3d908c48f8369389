using TorrentLab.Client;

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

    /// <summary>The exit code and the one-line message for an exception (the library says what kind of failure it is).</summary>
    public static (int Code, string Message) Classify(Exception e, CancellationToken cancellation = default)
    {
        if (e is OperationCanceledException && cancellation.IsCancellationRequested)
            return (ExitCodes.Interrupted, e is InterruptedException ? e.Message : "interrupted");
        if (e is UsageException u) return (ExitCodes.Usage, $"error: {u.Message}");
        if (IsPortUnavailable(e))
            return (ExitCodes.PortUnavailable, $"{Failure.Describe(e).Message} (a port given is never replaced: name another, or 0 for any free one)");
        var (kind, message) = Failure.Describe(e);
        return (kind switch
        {
            FailureKind.BadInput => ExitCodes.BadInput,
            FailureKind.Peer => ExitCodes.Peer,
            FailureKind.Tracker => ExitCodes.Tracker,
            FailureKind.NoSpace => ExitCodes.NoSpace,
            FailureKind.Io or FailureKind.Conflict => ExitCodes.Io,
            FailureKind.Unsupported => ExitCodes.Unsupported,
            _ => ExitCodes.Failed,
        }, message);
    }

    /// <summary>True when <paramref name="e"/> is a listening socket that could not be bound (the library's
    /// <see cref="TorrentLabException"/> from the peer listener, the web server's <see cref="IOException"/>, a DHT node's socket), the port
    /// taken or not ours.</summary>
    private static bool IsPortUnavailable(Exception e)
    {
        if (e is not (TorrentLabException or IOException or Dht.DhtException or System.Net.Sockets.SocketException)) return false;
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse or System.Net.Sockets.SocketError.AccessDenied or System.Net.Sockets.SocketError.AddressNotAvailable })
                return true;
        return false;
    }
}
