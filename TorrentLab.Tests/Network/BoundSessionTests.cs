using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Network;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;
using static TorrentLab.Tests.Network.InterfaceWatchTests;

namespace TorrentLab.Tests.Network;

/// <summary>A session bound to an interface (<see cref="SessionSettings.BindInterface"/>) whose state is faked: an
/// interface missing at start is waited for, announces are skipped with the reason while it is down, and each change
/// is one alert per torrent.</summary>
public class BoundSessionTests
{
    private static CancellationToken Bounded() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task InterfaceMissingAtStart_AnnounceSkippedWithTheReason_ThenOneAlertEachWay()
    {
        var ct = Bounded();
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: "http://127.0.0.1:1/announce");
        var nic = new FakeInterface(InterfaceSnapshot.Missing);
        var lines = new ConcurrentQueue<string>();
        await using var session = TorrentSession.Start(new SessionSettings
        {
            ListenPort = 0, Dht = false, Transport = PeerTransport.Tcp, BindInterface = "lo", InterfaceSource = nic.Read, Log = lines.Enqueue,
        });
        var bound = session.Settings.Bound!;
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out") });

        Assert.True(await Wait.UntilAsync(() => lines.Any(l => l.Contains("announce skipped (started)", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), ct),
            string.Join("\n", lines));
        Assert.Contains("interface lo not found: sending nothing until it is up with an address", lines);
        Assert.True(bound.Refused >= 1);

        nic.State = FakeInterface.Up("127.0.0.1");
        bound.Watch.Check();
        nic.State = FakeInterface.Down("127.0.0.1");
        bound.Watch.Check();

        var seen = new List<TorrentAlert>();
        while (seen.Count(a => a.Kind is TorrentAlertKind.InterfaceUp or TorrentAlertKind.InterfaceDown) < 2)
        {
            var alert = await session.Alerts.ReadAsync(ct);
            if (alert.Kind is TorrentAlertKind.InterfaceUp or TorrentAlertKind.InterfaceDown) seen.Add(alert);
        }
        Assert.Equal([TorrentAlertKind.InterfaceUp, TorrentAlertKind.InterfaceDown], seen.Select(a => a.Kind));
        Assert.All(seen, a => Assert.Same(handle, a.Torrent));
        Assert.Equal("interface lo up at 127.0.0.1: resuming", seen[0].Message);
        Assert.Equal("interface lo down: sending nothing", seen[1].Message);
    }
}
