using System.Collections.Concurrent;
using TorrentLab.Client;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Every alert of a session read so far, collected by a reader of its stream (a session has one reader:
/// this one) until disposed.</summary>
internal sealed class AlertLog : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    public AlertLog(TorrentSession session) => _reader = Task.Run(async () =>
    {
        try { await foreach (var alert in session.Alerts.ReadAllAsync(_stop.Token)) All.Enqueue(alert); }
        catch (OperationCanceledException) { }
    });

    public ConcurrentQueue<TorrentAlert> All { get; } = new();

    public bool Has(TorrentAlertKind kind, Func<TorrentAlert, bool>? also = null) => All.Any(a => a.Kind == kind && (also?.Invoke(a) ?? true));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader;
        _stop.Dispose();
    }
}
