using System.Net;
using System.Net.Sockets;
using TorrentLab.Metainfo;
using TorrentLab.Network;
using TorrentLab.Tracker;

namespace TorrentLab.Wire;

// Opening a connection: the transport (a TCP socket, or any byte stream), then MSE/PE when the policy asks for it,
// then the BEP 3 handshake (PeerConnection.Handshake.cs).
internal sealed partial class PeerConnection
{
    /// <summary>Connects over TCP to <paramref name="endpoint"/>, runs MSE/PE as <see cref="PeerConnectionOptions.Encryption"/>
    /// says, then sends our handshake, reads the peer's and checks its info hash.</summary>
    /// <exception cref="WireException">Connect failed or timed out, a handshake was malformed, timed out, or named
    /// another torrent.</exception>
    public static Task<PeerConnection> ConnectAsync(IPEndPoint endpoint, InfoHash infoHash, PeerId ourId,
        PeerConnectionOptions options, CancellationToken ct = default) =>
        ConnectAsync(endpoint, token => ConnectTcpAsync(options.Network, endpoint, options.ConnectTimeout, options.Time, token), infoHash, ourId, options, ct);

    /// <summary>Opens an outgoing connection over any reliable byte stream (TCP, uTP): <paramref name="dial"/> opens a
    /// fresh stream to the peer; it is called a second time when <see cref="EncryptionPolicy.Prefer"/> falls back to
    /// plaintext after the peer refused an encrypted handshake.</summary>
    /// <exception cref="WireException">Dialling failed, a handshake was malformed, timed out, or named another torrent.</exception>
    public static async Task<PeerConnection> ConnectAsync(IPEndPoint endpoint, Func<CancellationToken, Task<Stream>> dial,
        InfoHash infoHash, PeerId ourId, PeerConnectionOptions options, CancellationToken ct = default)
    {
        var policy = options.Encryption;
        if (policy != EncryptionPolicy.Off)
        {
            var stream = await dial(ct).ConfigureAwait(false);
            MseHandshake.Result mse;
            using var timeout = new Deadline(options.HandshakeTimeout, options.Time, ct);
            try
            {
                mse = await MseHandshake.InitiateAsync(stream, infoHash, policy, $"peer {endpoint}", ct: timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Silent after our key (more than a plaintext handshake's 68 bytes): a plaintext redial would wait as long.
                await stream.DisposeAsync().ConfigureAwait(false);
                throw new WireException($"peer {endpoint}: no complete handshake within {Seconds(options.HandshakeTimeout)} (encrypted; silent, so not redialled in plaintext)", isViolation: false);
            }
            catch (WireException e) when (policy == EncryptionPolicy.Prefer && !e.IsViolation)
            {
                // The peer closed the connection or answered in plaintext: it speaks plain BEP 3 only. Redial at once.
                await stream.DisposeAsync().ConfigureAwait(false);
                options.Trace?.Invoke(WireTraceEvent.Note(endpoint, "encryption", $"refused ({e.Message}); redialling in plaintext"));
                return await OpenPlainAsync(endpoint, dial, infoHash, ourId, options, ct).ConfigureAwait(false);
            }
            catch
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            var connection = new PeerConnection(mse.Transport, endpoint, options, mse.Method, mse.Initial, TransportName(stream));
            await connection.OutgoingHandshakeAsync(infoHash, ourId, ct).ConfigureAwait(false);
            return connection;
        }
        return await OpenPlainAsync(endpoint, dial, infoHash, ourId, options, ct).ConfigureAwait(false);
    }

    private static async Task<PeerConnection> OpenPlainAsync(IPEndPoint endpoint, Func<CancellationToken, Task<Stream>> dial,
        InfoHash infoHash, PeerId ourId, PeerConnectionOptions options, CancellationToken ct)
    {
        var stream = await dial(ct).ConfigureAwait(false);
        var connection = new PeerConnection(stream, endpoint, options, ConnectionEncryption.None, default, TransportName(stream));
        await connection.OutgoingHandshakeAsync(infoHash, ourId, ct).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Takes an accepted socket: tells a plaintext handshake from an MSE/PE one by its first bytes, runs MSE/PE
    /// if needed, reads the peer's handshake, checks that we serve its torrent, answers with ours.</summary>
    /// <param name="socket">A connected socket; the connection owns it from now on (also on failure).</param>
    /// <param name="torrents">The info hashes we serve: a listener may serve several and learns which from the peer.</param>
    /// <param name="ourId">Our peer id, sent in our answer.</param>
    /// <param name="options">Piece count, encryption, timeouts and trace for the connection.</param>
    /// <param name="ct">Cancels the handshake.</param>
    /// <exception cref="WireException">A handshake was malformed, timed out, or named a torrent we do not serve.</exception>
    public static async Task<PeerConnection> AcceptAsync(Socket socket, IReadOnlyCollection<InfoHash> torrents, PeerId ourId,
        PeerConnectionOptions options, CancellationToken ct = default)
    {
        IPEndPoint remote;
        try
        {
            socket.NoDelay = true;   // requests are small and must not wait for Nagle's algorithm
            remote = socket.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
            // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: name them as the IPv4 peers they are.
            if (remote.Address.IsIPv4MappedToIPv6) remote = new IPEndPoint(remote.Address.MapToIPv4(), remote.Port);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            throw new WireException($"incoming peer: the connection was lost before the handshake ({e.Message})", e, isViolation: false);
        }
        return await AcceptAsync(new NetworkStream(socket, ownsSocket: true), remote, torrents, ourId, options, ct).ConfigureAwait(false);
    }

    /// <summary>Takes an accepted connection over any reliable byte stream (TCP, uTP); see the socket overload.</summary>
    /// <param name="transport">The stream; the connection owns it from now on (also on failure).</param>
    /// <param name="remote">The peer's address, for errors and the trace.</param>
    /// <param name="torrents">The info hashes we serve.</param>
    /// <param name="ourId">Our peer id.</param>
    /// <param name="options">Piece count, encryption, timeouts and trace.</param>
    /// <param name="ct">Cancels the handshake.</param>
    public static Task<PeerConnection> AcceptAsync(Stream transport, IPEndPoint remote, IReadOnlyCollection<InfoHash> torrents,
        PeerId ourId, PeerConnectionOptions options, CancellationToken ct = default) =>
        AcceptAsync(transport, remote, torrents, null, ourId, options, ct);

    /// <summary>Takes an accepted connection for a listener that serves many torrents, each with options of its own: the
    /// torrent is known only once the peer's handshake names it, so <paramref name="optionsFor"/> gives that torrent's
    /// options (piece count, extensions, trace) then, or null when it is not served (any more).</summary>
    /// <param name="transport">The stream; the connection owns it from now on (also on failure).</param>
    /// <param name="remote">The peer's address, for errors and the trace.</param>
    /// <param name="torrents">The info hashes we serve (an MSE/PE handshake names its torrent only by a hash of one).</param>
    /// <param name="optionsFor">The options of the torrent the peer's handshake names; null: refuse it.</param>
    /// <param name="ourId">Our peer id.</param>
    /// <param name="options">Encryption and timeouts until the torrent is known (the listener's, shared by all).</param>
    /// <param name="ct">Cancels the handshake.</param>
    /// <exception cref="WireException">A handshake was malformed, timed out, or named a torrent we do not serve.</exception>
    public static async Task<PeerConnection> AcceptAsync(Stream transport, IPEndPoint remote, IReadOnlyCollection<InfoHash> torrents,
        Func<InfoHash, PeerConnectionOptions?>? optionsFor, PeerId ourId, PeerConnectionOptions options, CancellationToken ct = default)
    {
        PeerConnection connection;
        if (options.Encryption == EncryptionPolicy.Off)
        {
            connection = new PeerConnection(transport, remote, options, ConnectionEncryption.None, default, TransportName(transport));
        }
        else
        {
            try
            {
                var who = $"peer {remote}";
                var (mse, first) = await WithHandshakeTimeout(remote, options, async token =>
                {
                    var first = await ReadPrefixAsync(transport, who, token).ConfigureAwait(false);
                    if (Handshake.StartsPlaintext(first))
                    {
                        if (options.Encryption == EncryptionPolicy.Require)
                            throw new WireException($"{who}: sent a plaintext handshake, but encryption is required", isViolation: false);
                        return ((MseHandshake.Result?)null, first);
                    }
                    var result = await MseHandshake.ReceiveAsync(transport, first, torrents, options.Encryption, who, ct: token).ConfigureAwait(false);
                    return (result, first);
                }, ct).ConfigureAwait(false);
                connection = mse is null
                    ? new PeerConnection(transport, remote, options, ConnectionEncryption.None, first, TransportName(transport))
                    : new PeerConnection(mse.Transport, remote, options, mse.Method, mse.Initial, TransportName(transport));
            }
            catch
            {
                await transport.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        await connection.IncomingHandshakeAsync(torrents, optionsFor, ourId, ct).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Reads the bytes that tell the two handshakes apart: a plaintext one starts with 19, "BitTorrent protocol";
    /// anything else is taken for an MSE/PE public key (at least 96 bytes, so reading 20 never waits for nothing).</summary>
    private static async Task<byte[]> ReadPrefixAsync(Stream transport, string who, CancellationToken ct)
    {
        var first = new byte[Handshake.PrefixLength];
        var have = 0;
        while (have < first.Length && (have == 0 || first[0] == 19))
        {
            int read;
            try { read = await transport.ReadAsync(first.AsMemory(have), ct).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or ObjectDisposedException && !ct.IsCancellationRequested)
            {
                throw new WireException($"{who}: the connection was lost before the handshake ({TransportError(e)})", e, isViolation: false);
            }
            if (read == 0) throw new WireException($"{who}: the peer closed the connection before the handshake", isViolation: false);
            have += read;
        }
        return first[..have];
    }

    /// <summary>Runs <paramref name="step"/> under the handshake timeout, reporting the timeout as a
    /// <see cref="WireException"/> that names the peer.</summary>
    private static async Task<T> WithHandshakeTimeout<T>(IPEndPoint remote, PeerConnectionOptions options,
        Func<CancellationToken, Task<T>> step, CancellationToken ct)
    {
        using var timeout = new Deadline(options.HandshakeTimeout, options.Time, ct);
        try
        {
            return await step(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new WireException($"peer {remote}: no complete encryption handshake within {Seconds(options.HandshakeTimeout)}", isViolation: false);
        }
    }

    /// <summary>How the trace and logs name the transport under a connection.</summary>
    private static string TransportName(Stream transport) => transport switch
    {
        NetworkStream => "tcp",
        INamedTransport named => named.TransportName,
        _ => "stream",
    };

    /// <summary>A TCP connection to <paramref name="endpoint"/> on <paramref name="network"/>, as a stream, within
    /// <paramref name="connectTimeout"/>.</summary>
    /// <exception cref="WireException">Refused, unreachable or timed out.</exception>
    internal static async Task<Stream> ConnectTcpAsync(INetwork network, IPEndPoint endpoint, TimeSpan connectTimeout, TimeProvider time,
        CancellationToken ct)
    {
        try
        {
            using var timeout = new Deadline(connectTimeout, time, ct);
            return await network.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new WireException($"peer {endpoint}: no TCP connection within {Seconds(connectTimeout)}", isViolation: false);
        }
        catch (SocketException e)
        {
            throw new WireException($"peer {endpoint}: cannot connect ({e.SocketErrorCode})", e, isViolation: false);
        }
    }
}
