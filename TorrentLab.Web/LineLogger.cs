using Microsoft.Extensions.Logging;

namespace TorrentLab.Web;

/// <summary>An <see cref="ILogger"/> (and the factory of itself, for every category) that hands each message, as one
/// line, to a writer: how the server's log (<see cref="WebServerOptions.Log"/>) and the command line's (<c>-v</c>,
/// <c>--log-file</c>) take the library's lines.</summary>
public sealed class LineLogger(Action<string> write) : ILogger, ILoggerFactory
{
    /// <summary>A logger writing to <paramref name="write"/>, or null for no writer.</summary>
    public static LineLogger? For(Action<string>? write) => write is null ? null : new LineLogger(write);

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel)) write(formatter(state, exception));
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("this log takes no providers");

    public void Dispose() { }
}
