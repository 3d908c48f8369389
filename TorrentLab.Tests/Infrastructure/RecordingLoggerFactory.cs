using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>An <see cref="ILoggerFactory"/> that keeps every message with its category and level, taking only those at
/// <see cref="MinLevel"/> or above (as a configured logging provider would), and counts how many were formatted.</summary>
internal sealed class RecordingLoggerFactory(LogLevel minLevel = LogLevel.Trace) : ILoggerFactory
{
    public LogLevel MinLevel { get; } = minLevel;

    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

    public bool Has(string category, LogLevel level, Func<string, bool> message) =>
        Entries.Any(e => e.Category == category && e.Level == level && message(e.Message));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose() { }

    private sealed class Logger(RecordingLoggerFactory factory, string category) : ILogger
    {
        public bool IsEnabled(LogLevel logLevel) => logLevel >= factory.MinLevel && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) factory.Entries.Enqueue((category, logLevel, formatter(state, exception)));
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    }
}
