using System.Net;
using Microsoft.Extensions.Logging;
using Moq;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tracker;

namespace TorrentLab.Tests;

/// <summary>What the engine tells a logger it was given, checked as calls on a mock (Moq): the interaction is the thing
/// under test here. Tests that read the lines themselves use <c>RecordingLoggerFactory</c>.</summary>
public class EngineLogTests
{
    /// <summary>Verifies one <see cref="ILogger.Log"/> call at <paramref name="level"/> whose text satisfies <paramref name="text"/>.</summary>
    private static void VerifyLogged(Mock<ILogger> logger, LogLevel level, Func<string, bool> text, Times times) =>
        logger.Verify(l => l.Log(level, It.IsAny<EventId>(), It.Is<It.IsAnyType>((state, _) => text($"{state}")),
            It.IsAny<Exception?>(), It.IsAny<Func<It.IsAnyType, Exception?, string>>()), times);

    [Fact]
    public void Lines_LoggerThatTakesNothingAtTheLevel_IsAskedOnceAndNeverWrittenTo()
    {
        var logger = new Mock<ILogger>(MockBehavior.Strict);
        logger.Setup(l => l.IsEnabled(LogLevel.Debug)).Returns(false);

        var lines = EngineLog.Lines(logger.Object);

        Assert.Null(lines);   // no writer: the engine formats no line at all
        logger.Verify(l => l.IsEnabled(LogLevel.Debug), Times.Once);
        logger.VerifyNoOtherCalls();
    }

    [Fact]
    public void Lines_EachLineIsLoggedOnceAtTheLevelAskedWithItsTextUnchanged()
    {
        var logger = new Mock<ILogger>();
        logger.Setup(l => l.IsEnabled(LogLevel.Information)).Returns(true);

        var lines = EngineLog.Lines(logger.Object, LogLevel.Information)!;
        lines("peer 127.0.0.1:6881: connected");
        lines("peer 127.0.0.1:6881: {not a format}");   // braces are text, not a message template

        VerifyLogged(logger, LogLevel.Information, t => t == "peer 127.0.0.1:6881: connected", Times.Once());
        VerifyLogged(logger, LogLevel.Information, t => t == "peer 127.0.0.1:6881: {not a format}", Times.Once());
        VerifyLogged(logger, LogLevel.Information, _ => true, Times.Exactly(2));
    }

    [Fact]
    public async Task SessionStart_TellsTheSessionCategoryWhereItListens()
    {
        var sessionLogger = new Mock<ILogger>();
        sessionLogger.Setup(l => l.IsEnabled(It.IsAny<LogLevel>())).Returns(true);
        // Every other category gets a logger that takes nothing.
        var factory = new Mock<ILoggerFactory> { DefaultValue = DefaultValue.Mock };
        factory.Setup(f => f.CreateLogger(EngineLog.Session)).Returns(sessionLogger.Object);

        await using var session = Session.Start(new SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false, PeerScope = PeerScope.Loopback, Transport = PeerTransport.Tcp,
            LoggerFactory = factory.Object,
        });

        factory.Verify(f => f.CreateLogger(EngineLog.Session), Times.AtLeastOnce);
        VerifyLogged(sessionLogger, LogLevel.Information, t => t.StartsWith($"listening on 127.0.0.1:{session.Port}", StringComparison.Ordinal), Times.Once());
    }
}
