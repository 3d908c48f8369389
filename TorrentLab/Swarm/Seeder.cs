using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Storage;

namespace TorrentLab.Swarm;

/// <summary>Seeds a torrent from data on disk: verifies it, listens, announces, dials the peers its trackers return
/// (dropping those that turn out to be seeds), and serves every peer, with BEP 3 choking, until disposed.</summary>
/// <remarks>
/// <code>
/// await using var seeder = await Seeder.StartAsync(torrent, options with { OutputDirectory = data }, ct: ct);
/// await seeder.RunAsync(progress, ct);   // until cancelled; then disposal announces "stopped"
/// </code>
/// The data folder means what <see cref="DownloadOptions.OutputDirectory"/> means for a download (the folder that
/// contains the torrent's file or top folder). Nothing below it is modified. Incomplete data is refused unless
/// <c>allowPartial</c>: then only the verified pieces are announced and served. The first announce is
/// <c>started</c> with <c>left=0</c> (BEP 3 sends <c>completed</c> only when a download finishes).
/// </remarks>
public sealed class Seeder : IAsyncDisposable
{
    private readonly TorrentSwarm _swarm;
    private readonly FileStorage _storage;
    private readonly Session? _ownSession;

    private Seeder(TorrentSwarm swarm, FileStorage storage, int pieces, Session? ownSession)
    {
        _swarm = swarm;
        _storage = storage;
        _ownSession = ownSession;
        PiecesAvailable = pieces;
    }

    /// <summary>The TCP port peers reach us on.</summary>
    public int Port => _swarm.Port;

    /// <summary>Payload bytes sent to peers so far.</summary>
    public long Uploaded => _swarm.Uploaded;

    /// <summary>Peers connected now.</summary>
    public int ConnectedPeers => _swarm.ConnectedCount;

    /// <summary>The UDP address our DHT node listens on (same port number as <see cref="Port"/>); null with the DHT off
    /// or for a private torrent.</summary>
    internal System.Net.IPEndPoint? DhtEndPoint => _swarm.DhtEndPoint;

    /// <summary>Our DHT node once it runs.</summary>
    internal Dht.DhtNode? DhtNode => _swarm.DhtNode;

    /// <summary>Verified pieces we serve.</summary>
    public int PiecesAvailable { get; }

    /// <summary>Peers dropped for breaking the protocol (oversized or out-of-range requests, floods), with the reason.</summary>
    public IReadOnlyList<string> BadPeers => _swarm.BadPeers;

    /// <summary>Verifies the data, then starts serving in a session of its own, made from
    /// <see cref="DownloadOptions.Session"/> (no DHT table is saved: a seeder writes nothing below its data folder).</summary>
    /// <exception cref="SwarmException">The data is incomplete (and <paramref name="allowPartial"/> is false) or empty,
    /// or no port to listen on.</exception>
    /// <exception cref="StorageException">The data cannot be read.</exception>
    public static Task<Seeder> StartAsync(Torrent torrent, DownloadOptions options, bool allowPartial = false, CancellationToken ct = default) =>
        StartAsync(null, torrent, options, allowPartial, ct);

    /// <summary>Verifies the data, then starts serving in <paramref name="session"/> (on its port, with its DHT node),
    /// or in a session of its own when that is null.</summary>
    /// <exception cref="SwarmException">The data is incomplete (and <paramref name="allowPartial"/> is false) or empty,
    /// the torrent is in the session already, or no port to listen on.</exception>
    /// <exception cref="StorageException">The data cannot be read.</exception>
    public static async Task<Seeder> StartAsync(Session? session, Torrent torrent, DownloadOptions options, bool allowPartial = false,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(torrent);
        ArgumentNullException.ThrowIfNull(options);
        options.Log?.Invoke($"verifying '{torrent.Name}' in {Path.GetFullPath(options.OutputDirectory)}");
        var have = session is null
            ? await PieceVerifier.VerifyAsync(torrent, options.OutputDirectory, cancellation: ct).ConfigureAwait(false)
            : await session.CheckInTurnAsync(() => PieceVerifier.VerifyAsync(torrent, options.OutputDirectory, cancellation: ct), ct).ConfigureAwait(false);
        if (have.IsEmpty)
            throw new SwarmException($"nothing to seed: none of the {torrent.PieceCount} pieces of '{torrent.Name}' is intact in '{options.OutputDirectory}'");
        if (!have.IsComplete && !allowPartial)
            throw new SwarmException($"the data is incomplete: {have.Count} of {torrent.PieceCount} pieces verified in '{options.OutputDirectory}' (seed partial data with --partial)");
        var own = session is null ? Session.Start(options.Session with { Log = options.Log, Trace = options.Trace }) : null;
        var storage = FileStorage.Open(torrent, options.OutputDirectory, readOnly: true);
        var swarm = new TorrentSwarm(session ?? own!, torrent, options, storage, have, downloading: false);
        try
        {
            swarm.Start();
        }
        catch
        {
            await swarm.DisposeAsync().ConfigureAwait(false);
            storage.Dispose();
            if (own is not null) await own.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new Seeder(swarm, storage, have.Count, own);
    }

    /// <summary>A progress snapshot: uploaded bytes, rates and peers.</summary>
    public DownloadProgress Snapshot() => _swarm.Snapshot();

    /// <summary>Serves until <paramref name="ct"/> is cancelled, reporting progress a few times a second; then throws
    /// <see cref="OperationCanceledException"/> (dispose to announce <c>stopped</c>).</summary>
    public async Task RunAsync(IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        _swarm.Progress = progress;
        await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
    }

    /// <summary>Disconnects every peer, announces <c>stopped</c> (short timeout) and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        await _swarm.DisposeAsync().ConfigureAwait(false);
        _storage.Dispose();
        if (_ownSession is not null) await _ownSession.DisposeAsync().ConfigureAwait(false);
    }
}
