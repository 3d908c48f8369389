using TorrentLab.Metainfo;

namespace TorrentLab.Wire;

// The BEP 3 handshake itself, once the transport (and any MSE/PE handshake) is ready: PeerConnection.Open.cs.
internal sealed partial class PeerConnection
{
    /// <summary>As the side that dialled: sends our handshake, reads the peer's and checks its info hash.</summary>
    private Task OutgoingHandshakeAsync(InfoHash infoHash, PeerId ourId, CancellationToken ct) =>
        HandshakeAsync(async (c, token) =>
        {
            // BEP 3: "The initiator of a connection is expected to transmit their handshake immediately."
            await c.SendHandshakeAsync(infoHash, ourId, token).ConfigureAwait(false);
            var theirs = await c.ReadHandshakeAsync(token).ConfigureAwait(false);
            // BEP 3: "Next comes the 20 byte truncated infohash. If both sides don't send the same value, they sever
            // the connection." A hybrid's v2 peer may answer with the torrent's other (v2) hash (BEP 52).
            if (theirs.InfoHash != infoHash && theirs.InfoHash != _options.AlternateInfoHash)
                throw c.PeerError($"handshake answered with info hash {theirs.InfoHash.Hex}, expected {infoHash.Hex}");
            return theirs;
        }, ct);

    /// <summary>As the side that accepted: reads the peer's handshake, checks we serve its torrent, answers with ours.</summary>
    /// <remarks>With <paramref name="optionsFor"/>, the connection takes the options of the torrent the peer names (a
    /// session's listener serves many torrents) before it answers.</remarks>
    private Task IncomingHandshakeAsync(IReadOnlyCollection<InfoHash> torrents, Func<InfoHash, PeerConnectionOptions?>? optionsFor,
        PeerId ourId, CancellationToken ct) =>
        HandshakeAsync(async (c, token) =>
        {
            var (_, infoHash) = await c.ReadHandshakeHeaderAsync(token).ConfigureAwait(false);
            // BEP 3: "If a client receives a handshake with an info_hash that it is not currently serving, then the
            // client must drop the connection." The recipient "may wait for incoming connections to give a download
            // hash first, and respond with the same one if it's in their list."
            var chosen = optionsFor is null ? (torrents.Contains(infoHash) ? c._options : null) : optionsFor(infoHash);
            if (chosen is null) throw c.PeerError($"handshake asks for info hash {infoHash.Hex}, which we do not serve");
            if (!ReferenceEquals(chosen, c._options)) c.Adopt(chosen);
            await c.SendHandshakeAsync(infoHash, ourId, token).ConfigureAwait(false);
            return await c.ReadHandshakeAsync(token).ConfigureAwait(false);
        }, ct);

    /// <summary>Runs a handshake exchange under the handshake timeout, then starts the keep-alive/idle timer.</summary>
    private async Task HandshakeAsync(Func<PeerConnection, CancellationToken, Task<Handshake>> exchange, CancellationToken ct)
    {
        using var timeout = new Deadline(_options.HandshakeTimeout, _options.Time, ct);
        try
        {
            RemoteHandshake = await exchange(this, timeout.Token).ConfigureAwait(false);
            // The send buffer is rented for each send (ConnectionWriter); the receive buffer now comes from the pool.
            _received.AfterHandshake(WireLimits.MaxFrameLength(_maxBlockLength, 0), _options.ReceiveBufferSize);
            _timer.Start();
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
        var ours = new Handshake(infoHash, ourId, (_options.AdvertiseExtensions ? Handshake.ExtensionProtocolBit : 0)
            | (_options.AdvertiseFast ? Handshake.FastExtensionBit : 0) | (_options.AdvertiseV2 ? Handshake.V2UpgradeBit : 0));
        var bytes = ours.ToBytes();
        await _writer.SendRawAsync(bytes, ct).ConfigureAwait(false);
        _trace?.Invoke(WireTraceEvent.For(RemoteEndPoint, WireDirection.Sent, ours, bytes, Encryption, Transport));
    }

    private async Task<(ulong Reserved, InfoHash InfoHash)> ReadHandshakeHeaderAsync(CancellationToken ct)
    {
        while (true)
        {
            bool complete;
            ulong reserved;
            InfoHash infoHash;
            try { complete = Handshake.TryReadHeader(_received.Unread, out reserved, out infoHash); }
            catch (WireException e) { throw PeerError(e.Message, e, e.IsViolation); }
            if (complete) return (reserved, infoHash);
            if (await TryFillAsync(Handshake.Length, ct).ConfigureAwait(false) is { } ended) throw ended;
        }
    }

    private async Task<Handshake> ReadHandshakeAsync(CancellationToken ct)
    {
        while (true)
        {
            bool complete;
            Handshake handshake;
            try { complete = Handshake.TryRead(_received.Unread, out handshake); }
            catch (WireException e) { throw PeerError(e.Message, e, e.IsViolation); }
            if (complete)
            {
                _trace?.Invoke(WireTraceEvent.For(RemoteEndPoint, WireDirection.Received, handshake, _received.Unread[..Handshake.Length], Encryption, Transport));
                _received.Consume(Handshake.Length);
                return handshake;
            }
            if (await TryFillAsync(Handshake.Length, ct).ConfigureAwait(false) is { } ended) throw ended;
        }
    }

    /// <summary>Takes the options of the torrent an incoming handshake named (before anything torrent-specific was read).</summary>
    private void Adopt(PeerConnectionOptions options)
    {
        _options = options;
        _trace = options.Trace;
        _maxBlockLength = options.MaxBlockLength;
        if (options.PieceCount is int pieces) SetPieceCount(pieces);
    }

    private static string Seconds(TimeSpan time) => $"{time.TotalSeconds:0.###} s";
}
