using System.Net;
using TorrentLab.Tracker;

namespace TorrentLab.Client;

// The rules a torrent's handle applies to what it is given (TorrentHandle.AddTrackerAsync, SetTrackersAsync,
// AddPeerAsync), for an application that checks a user's input before it calls and answers in its own words.
public static partial class TorrentClient
{
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
