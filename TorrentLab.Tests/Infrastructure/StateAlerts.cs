using System.Collections.Concurrent;
using TorrentLab.Client;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>The states a session's torrents went through, in the order their alerts came, read while a test runs:
/// <see cref="StopAsync"/> ends the reading (disposing does too), after which <see cref="States"/> is complete.</summary>
internal sealed class StateAlerts : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task _reader;

    private StateAlerts(TorrentSession session, CancellationToken ct)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stop = _stop.Token;
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var alert in session.Alerts.ReadAllAsync(stop))
                    if (alert.Kind == TorrentAlertKind.StateChanged) States.Enqueue(alert.State!.Value);
            }
            catch (OperationCanceledException) { }
        }, ct);
    }

    /// <summary>Starts reading <paramref name="session"/>'s alerts (the session has one reader: this one).</summary>
    public static StateAlerts Read(TorrentSession session, CancellationToken ct) => new(session, ct);

    /// <summary>Each state-change alert's state, in order.</summary>
    public ConcurrentQueue<TorrentState> States { get; } = new();

    /// <summary>Stops reading; the alerts read until now are in <see cref="States"/>.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _reader;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
