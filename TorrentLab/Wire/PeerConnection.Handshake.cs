using System.Net;
using System.Net.Sockets;
using TorrentLab.Metainfo;

namespace TorrentLab.Wire;

public sealed partial class PeerConnection
{
    /// <summary>Connects to <paramref name="endpoint"/>, sends our handshake, reads the peer's and checks its info hash.</summary>
    /// <exception cref="WireException">Connect failed or timed out, the handshake was malformed, timed out, or named
    /// another torrent.</exception>
    public static async Task<PeerConnection> ConnectAsync(IPEndPoint endpoint, InfoHash infoHash, PeerId ourId,
        PeerConnectionOptions options, CancellationToken ct = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.ConnectTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new WireException($"peer {endpoint}: no TCP connection within {Seconds(options.ConnectTimeout)}", isViolation: false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new WireException($"peer {endpoint}: cannot connect ({e.SocketErrorCode})", e, isViolation: false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new PeerConnection(socket, endpoint, options);
        await connection.HandshakeAsync(async (c, token) =>
        {
            // BEP 3: "The initiator of a connection is expected to transmit their handshake immediately."
            await c.SendHandshakeAsync(infoHash, ourId, token).ConfigureAwait(false);
            var theirs = await c.ReadHandshakeAsync(token).ConfigureAwait(false);
            // BEP 3: "Next comes the 20 byte truncated infohash. If both sides don't send the same value, they sever
            // the connection."
            if (theirs.InfoHash != infoHash)
                throw c.PeerError($"handshake answered with info hash {theirs.InfoHash.Hex}, expected {infoHash.Hex}");
            return theirs;
        }, ct).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Takes an accepted socket: reads the peer's handshake, checks that we serve its torrent, answers with ours.</summary>
    /// <param name="socket">A connected socket; the connection owns it from now on (also on failure).</param>
    /// <param name="serves">Whether we serve a torrent: a listener may serve several and learns which from the peer.</param>
    /// <param name="ourId">Our peer id, sent in our answer.</param>
    /// <param name="options">Piece count, timeouts and trace for the connection.</param>
    /// <param name="ct">Cancels the handshake.</param>
    /// <exception cref="WireException">The handshake was malformed, timed out, or named a torrent we do not serve.</exception>
    public static async Task<PeerConnection> AcceptAsync(Socket socket, Func<InfoHash, bool> serves, PeerId ourId,
        PeerConnectionOptions options, CancellationToken ct = default)
    {
        IPEndPoint remote;
        try
        {
            socket.NoDelay = true;   // requests are small and must not wait for Nagle's algorithm
            remote = socket.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            throw new WireException($"incoming peer: the connection was lost before the handshake ({e.Message})", e, isViolation: false);
        }
        var connection = new PeerConnection(socket, remote, options);
        await connection.HandshakeAsync(async (c, token) =>
        {
            var (_, infoHash) = await c.ReadHandshakeHeaderAsync(token).ConfigureAwait(false);
            // BEP 3: "If a client receives a handshake with an info_hash that it is not currently serving, then the
            // client must drop the connection." The recipient "may wait for incoming connections to give a download
            // hash first, and respond with the same one if it's in their list."
            if (!serves(infoHash)) throw c.PeerError($"handshake asks for info hash {infoHash.Hex}, which we do not serve");
            await c.SendHandshakeAsync(infoHash, ourId, token).ConfigureAwait(false);
            return await c.ReadHandshakeAsync(token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Runs a handshake exchange under the handshake timeout, then starts the keep-alive/idle timer.</summary>
    private async Task HandshakeAsync(Func<PeerConnection, CancellationToken, Task<Handshake>> exchange, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.HandshakeTimeout);
        try
        {
            RemoteHandshake = await exchange(this, timeout.Token).ConfigureAwait(false);
            GrowBuffers();
            StartTimer();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw Fail(PeerError($"no complete handshake within {Seconds(_options.HandshakeTimeout)}", violation: false));
        }
        catch (WireException e)
        {
            throw Fail(e);   // every WireException here already names the peer
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private async Task SendHandshakeAsync(InfoHash infoHash, PeerId ourId, CancellationToken ct)
    {
        var ours = new Handshake(infoHash, ourId, _options.AdvertiseExtensions ? Handshake.ExtensionProtocolBit : 0);
        var bytes = ours.ToBytes();
        await SendRawAsync(bytes, ct).ConfigureAwait(false);
        _trace?.Invoke(WireTraceEvent.For(RemoteEndPoint, WireDirection.Sent, ours, bytes));
    }

    private async Task<(ulong Reserved, InfoHash InfoHash)> ReadHandshakeHeaderAsync(CancellationToken ct)
    {
        while (true)
        {
            bool complete;
            ulong reserved;
            InfoHash infoHash;
            try { complete = Handshake.TryReadHeader(Buffered, out reserved, out infoHash); }
            catch (WireException e) { throw PeerError(e.Message, e, e.IsViolation); }
            if (complete) return (reserved, infoHash);
            await FillAsync(Handshake.Length, ct).ConfigureAwait(false);
        }
    }

    private async Task<Handshake> ReadHandshakeAsync(CancellationToken ct)
    {
        while (true)
        {
            bool complete;
            Handshake handshake;
            try { complete = Handshake.TryRead(Buffered, out handshake); }
            catch (WireException e) { throw PeerError(e.Message, e, e.IsViolation); }
            if (complete)
            {
                _trace?.Invoke(WireTraceEvent.For(RemoteEndPoint, WireDirection.Received, handshake, Buffered[..Handshake.Length]));
                Consume(Handshake.Length);
                return handshake;
            }
            await FillAsync(Handshake.Length, ct).ConfigureAwait(false);
        }
    }

    private static string Seconds(TimeSpan time) => $"{time.TotalSeconds:0.###} s";
}
