using System.Net;
using TorrentLab.Wire;

namespace TorrentLab.Utp;

/// <summary>A uTP connection as a <see cref="Stream"/>: what the peer wire reads and writes, as it does a TCP socket's.</summary>
/// <remarks>Disposing closes gracefully (what was written is delivered, then ST_FIN); <see cref="Reset"/> aborts with
/// ST_RESET. A reset or timed-out connection surfaces as <see cref="IOException"/> wrapping a <see cref="UtpException"/>.</remarks>
internal sealed class UtpStream : DuplexStream, INamedTransport
{
    private readonly UtpConnection _connection;

    internal UtpStream(UtpConnection connection) => _connection = connection;

    /// <summary>The peer's address.</summary>
    public IPEndPoint RemoteEndPoint => _connection.Remote;

    /// <summary>How the trace names this transport.</summary>
    public string TransportName => "utp";

    /// <summary>The connection underneath (for tests and traces).</summary>
    internal UtpConnection Connection => _connection;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try { return await _connection.ReadAsync(buffer, cancellationToken).ConfigureAwait(false); }
        catch (UtpException e) { throw new IOException(e.Message, e); }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try { await _connection.WriteAsync(buffer, cancellationToken).ConfigureAwait(false); }
        catch (UtpException e) { throw new IOException(e.Message, e); }
    }

    /// <summary>Written bytes are sent as the windows allow; there is nothing to flush.</summary>
    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Waits until everything written has been acked by the peer.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        try { await _connection.DrainAsync(cancellationToken).ConfigureAwait(false); }
        catch (UtpException e) { throw new IOException(e.Message, e); }
    }

    /// <summary>Aborts the connection with ST_RESET.</summary>
    public void Reset() => _connection.Abort();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _connection.Close();
        base.Dispose(disposing);
    }
}
