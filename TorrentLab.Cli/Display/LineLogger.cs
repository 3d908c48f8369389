using Microsoft.Extensions.Logging;

namespace TorrentLab.Cli.Display;

/// <summary>The command line's <see cref="ILogger"/> (and the factory of itself, for every category): each message of
/// the library, as one line, to a writer (<c>-v</c> on stderr, <c>--log-file</c>; <see cref="Commands.DownloadSettings.Log"/>).</summary>
internal sealed class LineLogger(Action<string> write) : ILogger, ILoggerFactory
{
    /// <summary>A logger writing to <paramref name="write"/>, or null for no writer (nothing is logged, nor formatted).</summary>
    public static LineLogger? For(Action<string>? write) => write is null ? null : new LineLogger(write);

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel)) write(formatter(state, exception));
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("the command line's log takes no providers");

    public void Dispose() { }
}
