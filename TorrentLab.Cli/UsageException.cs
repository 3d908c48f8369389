namespace TorrentLab.Cli;

/// <summary>A command-line value the parser accepted but the command cannot use (out of range, malformed).</summary>
/// <remarks>Only this maps to <see cref="ExitCodes.Usage"/>: an <see cref="ArgumentException"/> from the library would be
/// a bug, not the user's mistake.</remarks>
internal sealed class UsageException(string message) : Exception(message);
