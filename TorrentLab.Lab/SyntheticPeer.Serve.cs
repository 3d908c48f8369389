using System.Buffers.Binary;
using System.Net.Sockets;
using TorrentLab.Extensions;
using TorrentLab.Wire;

namespace TorrentLab.Lab;

public sealed partial class SyntheticPeer
{
    /// <summary>Serves one accepted connection until the other side leaves, the behaviour hangs up, or disposal.</summary>
    private async Task ServeAsync(Stream socket, System.Net.IPEndPoint remote, int number)
    {
        var ct = _stop.Token;
        try
        {
            if (_options.Behaviour == SyntheticBehaviour.WrongInfoHash)
            {
                await AnswerWithWrongInfoHashAsync(socket, number, ct).ConfigureAwait(false);
                return;
            }
            var options = _options.Connection with
            {
                PieceCount = _options.PieceCount, AdvertiseExtensions = _options.ServeMetadata, AdvertiseFast = _options.Fast,
                AdvertiseV2 = _hashes is not null,
            };
            await using var connection = await PeerConnection.AcceptAsync(socket, remote, [_options.InfoHash], PeerId, options, ct).ConfigureAwait(false);
            await using var stopOnDispose = ct.Register(connection.Dispose);
            // BEP 52: a v2 peer sets the upgrade bit; logged (the strict grade fails a client that leaves it out).
            if (_hashes is not null && !connection.RemoteHandshake.SupportsV2) Write($"connection {number}: a handshake {PeerLog.NoV2Bit}");
            var extensions = await StartExtensionsAsync(connection, number, ct).ConfigureAwait(false);   // BEP 10: before the bitfield
            await SendBitfieldAndWatchAsync(connection, number, ct).ConfigureAwait(false);   // BEP 6: have all, when agreed
            if (await MisbehaveAfterBitfieldAsync(connection, number, ct).ConfigureAwait(false)) return;
            var allowedFast = await OfferAllowedFastAsync(connection, ct).ConfigureAwait(false);
            await ServeRequestsAsync(connection, extensions, allowedFast, number, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WireException or ExtensionException)
        {
            Write($"connection {number} ended: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            Write(ct.IsCancellationRequested ? $"connection {number} stopped" : $"connection {number} timed out in the handshake");
        }
        catch (SocketException e)
        {
            Write($"connection {number} lost: {e.SocketErrorCode}");
        }
        catch (IOException e) when (e.InnerException is SocketException inner)
        {
            Write($"connection {number} lost: {inner.SocketErrorCode}");
        }
        finally
        {
            await socket.DisposeAsync().ConfigureAwait(false);
            _open.TryRemove(number, out _);
            _serving.TryRemove(number, out _);
        }
    }

    /// <summary>The seeder's half of the message loop: one switch over what the downloader sends. Requests that
    /// arrived together are answered with one batched send (an honest peer's fast path).</summary>
    private async Task ServeRequestsAsync(PeerConnection connection, ExtensionChannel? extensions, IReadOnlySet<int> allowedFast,
        int number, CancellationToken ct)
    {
        // Behaviours that act per block serve one block per send; the others batch up to 4 blocks (64 KiB).
        var batchLimit = _options.Behaviour is SyntheticBehaviour.Slow or SyntheticBehaviour.ChokesMidPiece
            or SyntheticBehaviour.DisconnectsAfterBlocks or SyntheticBehaviour.ChokesBeforeHave ? 1 : 4;
        var blocks = new byte[batchLimit * WireLimits.BlockLength];
        var batch = new PeerMessage[batchLimit];
        var state = new ServeState();
        while (true)
        {
            var message = await connection.ReceiveAsync(ct).ConfigureAwait(false);
            var count = 0;
            do
            {
                switch (message.Kind)
                {
                    case MessageKind.Interested when _options.Behaviour == SyntheticBehaviour.NeverUnchokes:
                        Write($"connection {number}: ignored interested (never unchokes)");
                        break;
                    case MessageKind.Interested when connection.AmChoking && !state.ChokedOnce && !state.UnchokePending:   // after a mid-piece choke, a timer unchokes
                        if (_options.UnchokeDelay > TimeSpan.Zero)
                        {
                            // A deliberate pause, so a downloader that requests before it sees unchoke shows it.
                            state.UnchokePending = true;
                            _ = UnchokeLaterAsync(connection, number, _options.UnchokeDelay, ct);
                        }
                        else
                        {
                            await connection.SendUnchokeAsync(ct).ConfigureAwait(false);
                        }
                        break;
                    case MessageKind.Extended when extensions is not null:
                        await AnswerExtendedAsync(extensions, message, number, ct).ConfigureAwait(false);
                        break;
                    case MessageKind.Extended when _options.ServeMetadata:
                        Write($"connection {number}: ignored extended message id {message.ExtendedId}: the handshake was {PeerLog.NoExtensionBit}");
                        break;
                    case MessageKind.HashRequest when _hashes is not null:
                        await AnswerHashRequestAsync(connection, message, number, ct).ConfigureAwait(false);
                        break;
                    case MessageKind.Request when connection.AmChoking && !allowedFast.Contains(message.Index):
                        // BEP 3: choking means "no data will be sent until unchoking happens"; such requests are dropped,
                        // or with BEP 6 rejected: "every request is guaranteed to result in EXACTLY ONE response".
                        if (connection.FastAgreed) await connection.SendAsync(PeerMessage.Reject(message.Index, message.Begin, message.Length), ct).ConfigureAwait(false);
                        if (message.Index == _options.HeldBackPiece && state.HeldBackAnnounced)
                            Write($"connection {number}: dropped {message} {PeerLog.ChokeIgnored}");
                        else Write(state.ChokedOnce
                            ? $"connection {number}: dropped {message} (sent while choked mid-piece)"
                            : $"connection {number}: dropped {message} (sent before the first unchoke)");
                        break;
                    case MessageKind.Request:
                        if (IsTrapBlock(message, state)) await ChokeThenAnnounceAsync(connection, state, number, ct).ConfigureAwait(false);
                        if (CheckRequest(message, state, number, out var hangUp)) batch[count] = ReadBlock(message, blocks.AsMemory(count++ * WireLimits.BlockLength), number);
                        else if (hangUp) return;
                        break;
                    default:
                        break; // not interested, cancel (nothing is queued), choke/unchoke/have from a downloader
                }
            } while (count < batchLimit && connection.TryReceive(out message));
            if (count == 0) continue;

            // Counted before sending: the downloader may finish, and a test read the counters, as soon as they arrive.
            for (var i = 0; i < count; i++)
            {
                Interlocked.Add(ref _bytesUploaded, batch[i].Length);
                Interlocked.Increment(ref _blocksSent);
            }
            await connection.SendAsync(batch.AsMemory(0, count), ct).ConfigureAwait(false);
            state.Sent += count;
            if (!await AfterBlockAsync(connection, batch[count - 1], state, number, ct).ConfigureAwait(false)) return;
        }
    }

    /// <summary>BEP 6: sends the canonical allowed fast set for the downloader's address (pieces it may fetch while
    /// choked) and returns it; empty without the fast extension.</summary>
    private async Task<IReadOnlySet<int>> OfferAllowedFastAsync(PeerConnection connection, CancellationToken ct)
    {
        if (!connection.FastAgreed) return new HashSet<int>();
        var set = AllowedFastSet.Generate(connection.RemoteEndPoint.Address, _options.InfoHash, _options.PieceCount)
            .Where(i => _options.CanServe(i) && i != _options.HeldBackPiece).ToHashSet();
        if (set.Count > 0) await connection.SendAsync(set.Select(PeerMessage.AllowedFast).ToArray(), ct).ConfigureAwait(false);
        return set;
    }

    private sealed class ServeState
    {
        public int Sent;
        public bool ChokedOnce;
        public bool UnchokePending;
        public bool HeldBackAnnounced;   // ChokesBeforeHave: its choke and the have of the held-back piece went out
        public readonly Dictionary<int, int> BlocksOfPiece = [];
    }

    /// <summary>Reads the requested block into <paramref name="slot"/> (corrupting it if that is the behaviour).</summary>
    private PeerMessage ReadBlock(in PeerMessage request, Memory<byte> slot, int number)
    {
        var data = slot.Span[..request.Length];
        _options.Payload((long)request.Index * _options.PieceLength + request.Begin, data);
        if (_options.Behaviour == SyntheticBehaviour.CorruptBlock && (_options.CorruptPieceIndex < 0 || request.Index == _options.CorruptPieceIndex) && request.Begin == 0)
        {
            data[0] ^= 0xFF;
            Write($"connection {number}: sent corrupt block index={request.Index} begin=0");
        }
        else if (_options.Behaviour == SyntheticBehaviour.ForgedLayer && request.Begin == 0)
        {
            data[0] ^= 0xFF;   // what its forged layer says the piece holds
            Write($"connection {number}: {PeerLog.ForgedBlockSent} index={request.Index} begin=0");
        }
        return PeerMessage.Piece(request.Index, request.Begin, slot[..request.Length]);
    }

    /// <summary>The per-block behaviours, after a block went out; false when the connection should end.</summary>
    private async Task<bool> AfterBlockAsync(PeerConnection connection, PeerMessage piece, ServeState state, int number, CancellationToken ct)
    {
        switch (_options.Behaviour)
        {
            case SyntheticBehaviour.Slow:
                await Task.Delay(_options.SlowDelay, _time, ct).ConfigureAwait(false);
                return true;
            case SyntheticBehaviour.DisconnectsAfterBlocks when state.Sent >= _options.DisconnectAfterBlocks:
                Write($"connection {number}: disconnecting after {state.Sent} blocks");
                return false;
            case SyntheticBehaviour.ChokesMidPiece when !state.ChokedOnce:
                var served = state.BlocksOfPiece[piece.Index] = state.BlocksOfPiece.GetValueOrDefault(piece.Index) + 1;
                if (served >= _options.ChokeAfterBlocks && piece.Begin + piece.Length < _options.GetPieceLength(piece.Index))
                {
                    state.ChokedOnce = true;
                    await connection.SendChokeAsync(ct).ConfigureAwait(false);
                    Write($"connection {number}: choked mid-piece after block index={piece.Index} begin={piece.Begin}");
                    _ = UnchokeLaterAsync(connection, number, _options.ChokeDuration, ct);
                }
                return true;
            default:
                return true;
        }
    }

    // ChokesBeforeHave: the request that sets the trap, the last block of the piece before the held-back one.
    private bool IsTrapBlock(in PeerMessage request, ServeState state) =>
        _options.Behaviour == SyntheticBehaviour.ChokesBeforeHave && _options.HeldBackPiece is { } held && !state.HeldBackAnnounced
        && request.Index == held - 1 && request.Begin + request.Length == _options.GetPieceLength(held - 1);

    /// <summary>ChokesBeforeHave: <c>choke</c>, then <c>have</c> of the held-back piece, in that order on the wire, and an
    /// unchoke later; the block asked for is served after them (a downloader that still waits for it reads both first).</summary>
    private async Task ChokeThenAnnounceAsync(PeerConnection connection, ServeState state, int number, CancellationToken ct)
    {
        var held = _options.HeldBackPiece!.Value;
        await connection.SendChokeAsync(ct).ConfigureAwait(false);
        await connection.SendHaveAsync(held, ct).ConfigureAwait(false);
        state.HeldBackAnnounced = true;   // after both writes: a request for it read from now on came after the have, or without it
        state.ChokedOnce = true;
        Write($"connection {number}: choked, then sent have index={held} (announced only after the choke)");
        _ = UnchokeLaterAsync(connection, number, _options.ChokeDuration, ct);
    }

    /// <summary>BEP 3 request checks a seeder makes; false when the request is not served (hangUp: close too).</summary>
    private bool CheckRequest(in PeerMessage request, ServeState state, int number, out bool hangUp)
    {
        hangUp = true;
        switch (WireLimits.CheckRequest(request, _options.GetPieceLength(request.Index)))
        {
            case RequestFault.TooLong:
                Write($"connection {number}: refused {request} (more than {WireLimits.BlockLength} bytes), closing");
                return false;
            case RequestFault.PastPieceEnd:
                Write($"connection {number}: refused {request} (beyond the end of the piece), closing");
                return false;
        }
        if (HasNow(request.Index) && (request.Index != _options.HeldBackPiece || state.HeldBackAnnounced)) return true;
        // Not in its bitfield (yet, or ever): BEP 3 gives the downloader the bitfield so it asks only for what the peer has.
        if (_options.CanServe(request.Index) || _options.Behaviour != SyntheticBehaviour.LiesInBitfield)
        {
            Write($"connection {number}: cannot serve {request} {PeerLog.NotYet}, closing");
            return false;
        }
        if (_options.Behaviour == SyntheticBehaviour.LiesInBitfield && _options.LieReaction == LieReaction.Ignore)
        {
            hangUp = false;
            Write($"connection {number}: ignored {request} (claimed but missing)");
            return false;
        }
        Write($"connection {number}: cannot serve {request} (claimed but missing), closing");
        return false;
    }

    private async Task UnchokeLaterAsync(PeerConnection connection, int number, TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            await connection.SendUnchokeAsync(ct).ConfigureAwait(false);
            Write($"connection {number}: unchoked");
        }
        catch (Exception e) when (e is WireException or OperationCanceledException)
        {
            Write($"connection {number}: no unchoke, the connection ended ({e.Message})");
        }
    }

    /// <summary>The misbehaviours that happen right after the bitfield; true when the connection is done.</summary>
    private async Task<bool> MisbehaveAfterBitfieldAsync(PeerConnection connection, int number, CancellationToken ct)
    {
        byte[] frame;
        switch (_options.Behaviour)
        {
            case SyntheticBehaviour.OversizedLength:   // <len=0x7fffffff><id=7><index 4>... and never the rest
                frame = new byte[13];
                BinaryPrimitives.WriteUInt32BigEndian(frame, _options.OversizedLength);
                frame[4] = (byte)MessageKind.Piece;
                Write($"connection {number}: sent length prefix 0x{_options.OversizedLength:x8}");
                break;
            case SyntheticBehaviour.HaveOutOfRange:    // <len=5><id=4><index = piece count>
                frame = new byte[9];
                BinaryPrimitives.WriteInt32BigEndian(frame, 5);
                frame[4] = (byte)MessageKind.Have;
                BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), _options.PieceCount);
                Write($"connection {number}: sent have index={_options.PieceCount} (out of range)");
                break;
            default:
                return false;
        }
        await connection.SendRawAsync(frame, ct).ConfigureAwait(false);
        await DrainUntilClosedAsync(connection, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Keeps a misbehaving connection open until the other side drops it (bounded by the idle timeout).</summary>
    private static async Task DrainUntilClosedAsync(PeerConnection connection, CancellationToken ct)
    {
        while (true) await connection.ReceiveAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads the downloader's handshake and answers it with another torrent's info hash (the first byte flipped).</summary>
    private async Task AnswerWithWrongInfoHashAsync(Stream socket, int number, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(_options.Connection.HandshakeTimeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var buffer = new byte[Handshake.Length];
        for (var read = 0; read < buffer.Length;)
        {
            var n = await socket.ReadAsync(buffer.AsMemory(read), timeout.Token).ConfigureAwait(false);
            if (n == 0) throw new WireException("the downloader closed the connection during the handshake");
            read += n;
        }
        Handshake.TryRead(buffer, out var theirs);
        var wrong = theirs.InfoHash.Bytes.ToArray();
        wrong[0] ^= 0xFF;
        var answer = new Handshake(new Metainfo.InfoHash(wrong), PeerId);
        await socket.WriteAsync(answer.ToBytes(), timeout.Token).ConfigureAwait(false);
        Write($"connection {number}: answered the handshake with info hash {answer.InfoHash.Hex}");
        // Wait (bounded by the handshake timeout) for the downloader to hang up, as BEP 3 says it must.
        var n2 = await socket.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
        Write(n2 == 0 ? $"connection {number}: the downloader hung up" : $"connection {number}: the downloader sent {n2} more bytes");
    }

    private Bitfield ClaimedPieces()
    {
        var claimed = new Bitfield(_options.PieceCount);
        for (var i = 0; i < claimed.Length; i++)
            if ((_options.HasPieces is null || _options.HasPieces.Contains(i)) && (i != _options.LatePiece || _acquired) && i != _options.HeldBackPiece) claimed.Set(i);
        return claimed;
    }
}
