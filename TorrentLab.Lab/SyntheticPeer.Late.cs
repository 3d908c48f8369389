using System.Collections.Concurrent;
using TorrentLab.Wire;

namespace TorrentLab.Lab;

public sealed partial class SyntheticPeer
{
    // Connections whose bitfield went out: the ones a 'have' for the late piece must reach.
    private readonly ConcurrentDictionary<int, PeerConnection> _open = new();
    private volatile bool _acquired;

    /// <summary>Whether the late piece and metadata (<see cref="SyntheticPeerOptions.LatePiece"/>,
    /// <see cref="SyntheticPeerOptions.LateMetadata"/>) have arrived.</summary>
    public bool HasAcquiredLate => _acquired;

    /// <summary>The late piece and metadata arrive: from now on they are served, and every open connection gets a
    /// <c>have</c> for the piece (BEP 3), as a peer that just finished downloading it would send.</summary>
    public void AcquireLate()
    {
        if (_acquired || (_options.LatePiece is null && !_options.LateMetadata && !_options.LateHashes)) return;
        _acquired = true;
        Write(_options.LatePiece is { } piece ? $"{PeerLog.Acquired} piece {piece}" : $"{PeerLog.Acquired} the metadata");
        if (_options.LatePiece is not { } index) return;
        foreach (var (number, connection) in _open) _ = SendHaveAsync(connection, number, index);
    }

    /// <summary>Whether piece <paramref name="index"/> can be served now (a late piece only once acquired).</summary>
    private bool HasNow(int index) => _options.CanServe(index) && (index != _options.LatePiece || _acquired);

    /// <summary>Sends the bitfield of what it has now and registers the connection for a later <c>have</c>.</summary>
    private async Task SendBitfieldAndWatchAsync(PeerConnection connection, int number, CancellationToken ct)
    {
        var withLate = _acquired;
        await connection.SendBitfieldAsync(ClaimedPieces(), ct).ConfigureAwait(false);
        _open[number] = connection;
        // Acquired between the bitfield and the registration: this connection missed both; tell it now.
        if (!withLate && _acquired && _options.LatePiece is { } index) await SendHaveAsync(connection, number, index).ConfigureAwait(false);
    }

    private async Task SendHaveAsync(PeerConnection connection, int number, int index)
    {
        try
        {
            await connection.SendHaveAsync(index, _stop.Token).ConfigureAwait(false);
            Write($"connection {number}: sent have index={index}");
        }
        catch (Exception e) when (e is WireException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection ended first; nothing to tell it.
        }
    }
}
