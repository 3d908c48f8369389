using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Client;
using TorrentLab.Storage;
using TorrentLab.Swarm;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>The tests' seed: verifies a torrent's data, then seeds it straight on the engine (a
/// <see cref="SeedingTorrent"/> in a <see cref="Session"/>, its own or one given), with no handle around it, so a test
/// reads the engine's counters and reaches its DHT node; a program seeds through <see cref="TorrentSession.SeedAsync"/>.</summary>
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
internal sealed class Seeder : IAsyncDisposable
{
    private readonly SeedingTorrent _seeding;
    private readonly Session _session;
    private readonly Session? _ownSession;

    private Seeder(SeedingTorrent seeding, Session session, Session? ownSession)
    {
        _seeding = seeding;
        _session = session;
        _ownSession = ownSession;
    }

    /// <summary>The TCP port peers reach us on.</summary>
    public int Port => _session.Port;

    /// <summary>Payload bytes sent to peers so far.</summary>
    public long Uploaded => _seeding.Uploaded;

    /// <summary>Peers connected now.</summary>
    public int ConnectedPeers => _seeding.ConnectedCount;

    /// <summary>The UDP address our DHT node listens on (same port number as <see cref="Port"/>); null with the DHT off
    /// or for a private torrent.</summary>
    internal System.Net.IPEndPoint? DhtEndPoint => _seeding.UsesDht ? _session.DhtEndPoint : null;

    /// <summary>Our DHT node once it runs.</summary>
    internal global::TorrentLab.Dht.DhtNode? DhtNode => _seeding.UsesDht ? _session.Dht : null;

    /// <summary>The torrent, asleep or awake (a swarm runs only while peers are connected).</summary>
    internal SeedingTorrent Torrent => _seeding;

    /// <summary>Verified pieces we serve.</summary>
    public int PiecesAvailable => _seeding.PiecesAvailable;

    /// <summary>Peers dropped for breaking the protocol (oversized or out-of-range requests, floods), with the reason.</summary>
    public IReadOnlyList<string> BadPeers => _seeding.BadPeers;

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
        SettingsCheck.Check(options);
        options = TorrentClient.LoggingTo(options, session, EngineLog.Swarm);
        if (!Directory.Exists(options.OutputDirectory)) throw new StorageException($"data folder '{options.OutputDirectory}' does not exist");
        var have = await TorrentSession.VerifyToSeedAsync(session, torrent, options, allowPartial, ct).ConfigureAwait(false);
        var own = session is null ? Session.Start(options.Session with { Log = options.Session.Log ?? options.Log, Trace = options.Session.Trace ?? options.Trace }) : null;
        try
        {
            var host = session ?? own!;
            var seeding = SeedingTorrent.Start(host, torrent, options, have);
            return new Seeder(seeding, host, own);
        }
        catch
        {
            if (own is not null) await own.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A progress snapshot: uploaded bytes, rates and peers.</summary>
    public DownloadProgress Snapshot() => _seeding.Snapshot();

    /// <summary>Serves until <paramref name="ct"/> is cancelled, reporting progress a few times a second while peers are
    /// connected; then throws <see cref="OperationCanceledException"/> (dispose to announce <c>stopped</c>).</summary>
    /// <exception cref="SwarmException">The data can no longer be read.</exception>
    public async Task RunAsync(IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        _seeding.Progress = progress;
        await _seeding.Failure.WaitAsync(ct).ConfigureAwait(false); // a read failure is thrown, a cancel as OperationCanceledException
    }

    /// <summary>Disconnects every peer, announces <c>stopped</c> (short timeout) and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        await _seeding.DisposeAsync().ConfigureAwait(false);
        if (_ownSession is not null) await _ownSession.DisposeAsync().ConfigureAwait(false);
    }
}
