using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tracker;

namespace TorrentLab.Client;

public static partial class TorrentClient
{
    /// <summary>Where <paramref name="folder"/> lies below <paramref name="root"/>, once symbolic links are followed: its
    /// path relative to the root's real path ('/'-separated, "" for the root itself), or null when it lies elsewhere or
    /// passes through TorrentLab's own <see cref="StateFolder"/>. A relative <paramref name="folder"/> is taken below the
    /// root; missing parts count as written (the folder may not exist yet).</summary>
    public static string? FolderBelow(string root, string folder)
    {
        var full = OutputPaths.Root(root);
        var path = Path.GetFullPath(Path.Combine(full, folder)); // an absolute folder replaces the root here
        if (Path.TrimEndingDirectorySeparator(path) == full) return ""; // the root itself, however its links lead
        var (real, realRoot) = (OutputPaths.RealPath(path), OutputPaths.RealPath(full));
        if (real != realRoot && !OutputPaths.IsUnder(real, realRoot)) return null;
        var relative = real == realRoot ? "" : Path.GetRelativePath(realRoot, real).Replace(Path.DirectorySeparatorChar, '/');
        return relative.Split('/').Contains(StateFolder) ? null : relative;
    }

    /// <summary>Moves a torrent's data (the files that exist and its resume ledger) from one output folder to another:
    /// renamed on one file system, else copied and flushed before the originals are deleted. A failure midway undoes
    /// the move: the data stays whole in the old folder. The torrent must not be running.</summary>
    /// <exception cref="StorageException">A path leaves a folder, a file of the torrent is in the way in the new folder,
    /// or a file could not be moved.</exception>
    public static Task MoveDataAsync(Torrent torrent, string from, string to, CancellationToken ct = default) =>
        TorrentDataMove.MoveAsync(torrent, from, to, ct);

    /// <summary>Why a tracker URL is refused, or null when it may be announced to: an absolute http, https or udp URL
    /// with a host, no user name or password, and, when the host is an address, one that may be used (not unspecified,
    /// broadcast, multicast or link-local: a router's or a cloud's metadata service).</summary>
    public static string? RefusedTrackerUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "udp") || uri.Host.Length == 0)
            return $"'{UntrustedText.Clean(url, 120)}' is not an http, https or udp URL";
        if (uri.UserInfo.Length > 0) return $"'{UntrustedText.Clean(url, 120)}': a tracker URL with a user name or password is not accepted";
        if (IPAddress.TryParse(uri.IdnHost, out var address) && !PeerAddressPolicy.MayUse(address))
            return $"'{UntrustedText.Clean(url, 120)}': {address} is unspecified, broadcast, multicast or link-local";
        return null;
    }

    /// <summary>True when a peer at <paramref name="peer"/> may be dialled under <paramref name="scope"/> (the rule every
    /// peer source obeys: no unspecified, broadcast, multicast or link-local address, no port 0).</summary>
    public static bool MayDial(IPEndPoint peer, PeerScope scope = PeerScope.Any) => PeerAddressPolicy.MayDial(peer, scope);
}
