namespace TorrentLab.Cli;

/// <summary>Ctrl-C (or SIGTERM) stopped a command; the message is the one line that says what was kept and how to go on
/// (<c>interrupted: 37 of 80 pieces saved in ...; run the same command again to resume</c>).</summary>
internal sealed class InterruptedException(string message) : OperationCanceledException(message);
