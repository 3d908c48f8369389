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
}
