using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Client;

public static partial class TorrentClient
{
    /// <summary>The classroom shape of a download: <paramref name="target"/> is the file itself (single-file torrent)
    /// or the folder that becomes the torrent's top folder. The download runs in a hidden staging folder beside it,
    /// with its resume ledger, so an interrupted run resumes; only a complete, verified download is moved into place.</summary>
    /// <param name="torrent">The torrent.</param>
    /// <param name="target">The file or folder to create.</param>
    /// <param name="options">The options; <see cref="DownloadOptions.OutputDirectory"/> is replaced by the staging folder.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="ct">Cancels; the staging folder and its ledger stay for the next run.</param>
    /// <exception cref="StorageException">A multi-file target exists and is not empty.</exception>
    /// <remarks>A run that fails removes the staging folder it created when nothing there could be resumed.</remarks>
    public static async Task<DownloadResult> DownloadToAsync(Torrent torrent, string target, DownloadOptions options,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        target = Path.GetFullPath(target);
        // The result replaces the target only with --overwrite: a file already there may be the user's own. A folder
        // is never merged into or deleted wholesale, --overwrite or not.
        var inTheWay = torrent.IsMultiFile
            ? Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() || File.Exists(target)
            : File.Exists(target) || Directory.Exists(target);
        if (inTheWay && (torrent.IsMultiFile || !options.Overwrite)) throw new ForeignFileException(target);
        if (inTheWay && Directory.Exists(target)) throw new StorageException($"'{target}' is a directory; the torrent needs a file there");
        var staging = StagingFolder(torrent, target);
        var created = !Directory.Exists(staging);
        Directory.CreateDirectory(staging);
        DownloadResult result;
        try
        {
            result = await DownloadAsync(torrent, options with { OutputDirectory = staging }, progress, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failed run (refused for space, no peer delivered, a disk that filled before the first piece) leaves no
            // staging folder it made in which the next run would find nothing to resume. One an earlier run made, or
            // one holding pieces, stays with its ledger; so does every one at Ctrl-C, as the caller says where it is.
            if (created && await NothingToResumeAsync(torrent, staging).ConfigureAwait(false)) RemoveStaging(staging);
            throw;
        }

        var downloaded = Path.Combine(staging, torrent.Name);
        if (torrent.IsMultiFile)
        {
            if (Directory.Exists(target)) Directory.Delete(target); // empty, checked above
            Directory.Move(downloaded, target);
        }
        else
        {
            File.Move(downloaded, target, overwrite: true);
        }
        Directory.Delete(staging, recursive: true);
        return result;
    }

    /// <summary>The largest torrent whose staged data a failed run hashes to learn that it holds no piece; a larger one
    /// is kept, for the next run to re-hash (1 GiB: a few seconds of SHA-1, where a classroom torrent takes milliseconds).</summary>
    private const long MaxHashedOnFailure = 1L << 30;

    /// <summary>True when a run in <paramref name="staging"/> would start from nothing: no file there; a ledger the next
    /// run trusts that lists no piece (data it does not list is never read again, so none is lost); or, when a write came
    /// after the ledger's last save (a disk that filled up), files in which no piece verifies.</summary>
    private static async Task<bool> NothingToResumeAsync(Torrent torrent, string staging)
    {
        if (!Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories).Any()) return true;
        if (new ResumeLedger(torrent, staging).Validate().Trusted is { } trusted) return trusted.Count == 0;
        if (torrent.TotalLength > MaxHashedOnFailure) return false;
        try { return (await PieceVerifier.VerifyAsync(torrent, staging).ConfigureAwait(false)).Count == 0; }
        catch (Exception e) when (StorageErrors.IsIo(e) || e is StorageException) { return false; } // unreadable: kept
    }

    /// <summary>Deletes a staging folder after a failure; if that fails too, the folder stays and the caller hears the
    /// failure that stopped the download, not this one.</summary>
    private static void RemoveStaging(string staging)
    {
        try { Directory.Delete(staging, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the download's own error matters more */ }
    }

    /// <summary>The hidden folder beside <paramref name="target"/> where its classroom download runs.</summary>
    public static string StagingFolder(Torrent torrent, string target) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(target))!, $".torrentlab-{torrent.InfoHash.Hex[..12]}");

    /// <summary>The classroom handshake: connects, exchanges BEP 3 handshakes and returns the peer's id.</summary>
    /// <exception cref="WireException">The connection or the handshake failed.</exception>
    public static async Task<PeerId> HandshakeAsync(Torrent torrent, IPEndPoint peer, Action<WireTraceEvent>? trace = null,
        CancellationToken ct = default)
    {
        var options = new PeerConnectionOptions { PieceCount = torrent.PieceCount, Trace = trace };
        await using var connection = await PeerConnection.ConnectAsync(peer, torrent.InfoHash, PeerId.CreateOurs(), options, ct).ConfigureAwait(false);
        return connection.RemotePeerId;
    }

    /// <summary>The classroom magnet handshake: BEP 3 with the extension bit, then BEP 10's extension handshake, with
    /// the link's peers in turn; returns the first peer's id and the id it receives ut_metadata on (null: none).</summary>
    /// <exception cref="MetadataException">No peer completed the extension handshake.</exception>
    public static async Task<(PeerId Peer, int? MetadataId)> MagnetHandshakeAsync(string uri, Action<WireTraceEvent>? trace = null,
        CancellationToken ct = default)
    {
        var link = MagnetLink.Parse(uri);
        var ourId = PeerId.CreateOurs();
        var peers = await MagnetPeers.FindAsync(link, ourId, 6881, PeerFinding(null), ct).ConfigureAwait(false);
        var options = new PeerConnectionOptions { AdvertiseExtensions = true, IdleTimeout = TimeSpan.FromSeconds(15), Trace = trace };
        var failures = new List<string>();
        foreach (var peer in peers)
        {
            try
            {
                await using var connection = await PeerConnection.ConnectAsync(peer, link.InfoHash, ourId, options, ct).ConfigureAwait(false);
                if (!connection.SupportsExtensions)
                {
                    failures.Add($"{peer}: no extension bit in its handshake");
                    continue;
                }
                var channel = new ExtensionChannel(connection, ExtensionHandshake.Ours(peer, null, null, pex: false));
                await channel.SendHandshakeAsync(ct).ConfigureAwait(false);   // right after the BEP 3 handshake
                while (channel.Theirs is null)
                {
                    var message = await connection.ReceiveAsync(ct).ConfigureAwait(false);
                    if (message.Kind == MessageKind.Extended) channel.Route(message);   // bitfield and others wait
                }
                return (connection.RemotePeerId, channel.TryGetTheirId(ExtensionRegistry.UtMetadata.Name, out var id) ? id : (int?)null);
            }
            catch (Exception e) when (e is WireException or ExtensionException)
            {
                failures.Add(e.Message);
            }
        }
        throw new MetadataException($"no peer completed the extension handshake ({(failures.Count == 0 ? "no peers" : string.Join("; ", failures))})");
    }
}
