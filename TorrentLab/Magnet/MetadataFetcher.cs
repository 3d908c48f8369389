using System.Collections.Concurrent;
using System.Net;
using TorrentLab.Extensions;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Magnet;

/// <summary>Fetches a magnet link's info dictionary from peers with the ut_metadata extension (BEP 9) and verifies it
/// against the info hash; <c>Torrent.ParseInfo</c> then gives the torrent.</summary>
/// <remarks>
/// One task per peer (at most <see cref="MetadataFetchOptions.MaxPeers"/> at once): BEP 3 handshake with the BEP 10
/// bit, our extension handshake, the peer's, then one <c>request</c> at a time for the piece the shared
/// <see cref="MetadataAssembler"/> hands out. A <c>reject</c> ends the use of that peer and frees its piece for the
/// others; a peer whose pieces fail the info hash is banned. Our handshake announces no <c>metadata_size</c>, and a
/// request from the peer is answered with a reject, as BEP 9 requires of a peer without the metadata.
/// </remarks>
internal static class MetadataFetcher
{
    /// <summary>Fetches and verifies the raw info dictionary of <paramref name="link"/>.</summary>
    /// <exception cref="MetadataException">No peer delivered it (the message gives each peer's outcome).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static async Task<byte[]> FetchAsync(MagnetLink link, PeerId ourId, IEnumerable<IPEndPoint> peers,
        MetadataFetchOptions? options = null, CancellationToken ct = default)
    {
        options ??= new MetadataFetchOptions();
        // x.pe, tracker answers and DHT values all come from the network: one policy decides what may be dialled.
        var candidates = peers.Where(p => PeerAddressPolicy.MayDial(p)).Distinct().Take(options.MaxPeers).ToList();
        if (candidates.Count == 0) throw new MetadataException($"no peer to ask for the metadata of {link.InfoHash.Hex}");
        var assembler = new MetadataAssembler(link.InfoHash, options.MaxMetadataSize, link.InfoHashV2, link.IsV2Only);
        var outcomes = new ConcurrentDictionary<IPEndPoint, string>();
        var time = options.Connection.Time;
        using var stop = new Deadline(options.Timeout, time, ct);

        var workers = candidates.Select(peer => Task.Run(async () =>
        {
            var outcome = await FromPeerAsync(peer, link, ourId, assembler, options, stop.Token).ConfigureAwait(false);
            outcomes[peer] = outcome;
            options.Log?.Invoke($"peer {peer}: {outcome}");
            assembler.Release(peer);
        }, CancellationToken.None)).ToList();

        var all = Task.WhenAll(workers);
        while (assembler.Result is null && !all.IsCompleted && !stop.Token.IsCancellationRequested)
            await Task.WhenAny(all, assembler.Changed, Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);
        stop.Cancel();                                    // the others stop: done, or out of time
        await all.ConfigureAwait(false);                  // each worker catches its own failures
        ct.ThrowIfCancellationRequested();

        if (assembler.Result is { } raw) return raw;
        var why = string.Join("; ", candidates.Select(p => $"{p}: {outcomes.GetValueOrDefault(p, "no answer")}"));
        throw new MetadataException($"no peer delivered the metadata of {link.InfoHash.Hex} ({why})");
    }

    /// <summary>Works one peer until the metadata is complete, the peer fails, or the fetch stops; returns what happened.</summary>
    private static async Task<string> FromPeerAsync(IPEndPoint peer, MagnetLink link, PeerId ourId, MetadataAssembler assembler,
        MetadataFetchOptions options, CancellationToken ct)
    {
        try
        {
            var connectionOptions = options.Connection with { AdvertiseExtensions = true, PieceCount = null, AdvertiseV2 = link.InfoHashV2 is not null };
            await using var connection = await PeerConnection.ConnectAsync(peer, link.InfoHash, ourId, connectionOptions, ct).ConfigureAwait(false);
            if (!connection.SupportsExtensions) return "does not speak the extension protocol (no BEP 10 bit in its handshake)";
            var channel = new ExtensionChannel(connection, ExtensionHandshake.Ours(peer, options.ListenPort, metadataSize: null, pex: false));
            await channel.SendHandshakeAsync(ct).ConfigureAwait(false);
            return await ExchangeAsync(connection, channel, assembler, options, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return assembler.Result is null ? "stopped (time is up)" : "stopped (metadata complete)";
        }
        catch (Exception e) when (e is WireException or ExtensionException)
        {
            return e.Message;
        }
    }

    /// <summary>The ut_metadata conversation with one peer: one switch over what it sends.</summary>
    private static async Task<string> ExchangeAsync(PeerConnection connection, ExtensionChannel channel, MetadataAssembler assembler,
        MetadataFetchOptions options, CancellationToken ct)
    {
        var peer = connection.RemoteEndPoint;
        int? outstanding = null;
        var time = options.Connection.Time;
        var deadline = time.GetUtcNow() + options.PeerTimeout;   // for the extension handshake, then for each answer
        Task<PeerMessage>? receive = null;
        try
        {
            return await LoopAsync().ConfigureAwait(false);
        }
        finally
        {
            // A receive still pending fails when the connection closes; observe that expected failure.
            _ = receive?.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        async Task<string> LoopAsync()
        {
            while (true)
            {
                if (assembler.Result is not null) return "stopped (metadata complete)";
                if (assembler.IsBanned(peer)) return "banned: its metadata failed the info hash check";
                if (outstanding is null && channel.Theirs is { } theirs)
                {
                    if (!channel.PeerSupports(ExtensionRegistry.UtMetadata.Name)) return "does not offer ut_metadata";
                    if (theirs.MetadataSize is not { } size) return "announced no metadata_size (it does not have the metadata)";
                    outstanding = assembler.Next(peer, size);
                    if (outstanding is int piece)
                    {
                        await channel.SendAsync(ExtensionRegistry.UtMetadata.Name, MetadataMessage.Request(piece).Encode(), ct).ConfigureAwait(false);
                        deadline = time.GetUtcNow() + options.PeerTimeout;
                    }
                }

                receive ??= connection.ReceiveAsync(ct).AsTask();
                var waitingForPeer = channel.Theirs is null || outstanding is not null;
                var limit = waitingForPeer ? deadline - time.GetUtcNow() : Timeout.InfiniteTimeSpan;
                if (waitingForPeer && limit <= TimeSpan.Zero)
                    return channel.Theirs is null ? "sent no extension handshake in time" : $"did not answer the request for piece {outstanding} in time";
                var changed = assembler.Changed;
                await Task.WhenAny(receive, changed, Task.Delay(limit, time, ct)).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                if (!receive.IsCompleted) continue;

                var message = await receive.ConfigureAwait(false);
                receive = null;
                if (message.Kind != MessageKind.Extended || channel.Route(message) != ExtensionRegistry.UtMetadata.Name) continue; // bitfield, have...
                var metadata = MetadataMessage.Decode(message.Payload);
                switch (metadata.Type)
                {
                    case MetadataMessageType.Data when metadata.Piece == outstanding:
                        outstanding = null;
                        var banned = assembler.Deliver(peer, metadata);
                        if (banned is not null) options.Log?.Invoke($"peer {banned}: metadata failed the info hash check, banned");
                        break;
                    case MetadataMessageType.Reject when metadata.Piece == outstanding:
                        // BEP 9: a reject "means that the requested piece is not available"; ask someone else.
                        return $"rejected piece {metadata.Piece}";
                    case MetadataMessageType.Request:
                        // BEP 9: "Peers that do not have the entire metadata MUST respond with a reject message to any
                        // metadata request."
                        if (MetadataServer.AnswerWithout(metadata) is { } reject)
                            await channel.SendAsync(ExtensionRegistry.UtMetadata.Name, reject.Encode(), ct).ConfigureAwait(false);
                        break;
                    default:
                        break;   // unsolicited data or reject, or an unknown msg_type: BEP 9 says ignore
                }
            }
        }
    }
}
