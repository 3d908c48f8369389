using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tracker;

/// <summary>Which HTTP redirects from a tracker are followed: at most <see cref="MaxHops"/>, to the same scheme and
/// the same kind of host (a name stays a name; an IPv4 or IPv6 literal stays one of its family and must be a unicast
/// address), so a hostile tracker cannot bounce us to another protocol, a multicast or link-local address, or from a
/// name to a bare address on the local network.</summary>
internal static class TrackerRedirect
{
    /// <summary>Redirects followed per request (as many browsers' and libtorrent's small limits).</summary>
    public const int MaxHops = 5;

    public static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>The URL to follow from <paramref name="from"/>, or a <see cref="TrackerException"/> saying why not.</summary>
    public static Uri Target(Uri from, Uri? location, int hops)
    {
        if (location is null) throw new TrackerException("the tracker redirected without a Location");
        if (hops >= MaxHops) throw new TrackerException($"the tracker redirected more than {MaxHops} times");
        var to = location.IsAbsoluteUri ? location : new Uri(from, location);
        if (!string.Equals(to.Scheme, from.Scheme, StringComparison.OrdinalIgnoreCase))
            throw new TrackerException($"the tracker redirected from {from.Scheme} to {UntrustedText.Clean(to.Scheme, 16)}; not followed");
        if (to.HostNameType != from.HostNameType)
            throw new TrackerException($"the tracker redirected from a host of kind {from.HostNameType} to one of kind {to.HostNameType}; not followed");
        if (to.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            && (!IPAddress.TryParse(to.IdnHost, out var address) || !PeerAddressPolicy.MayUse(address) || Family(from) != address.AddressFamily))
            throw new TrackerException($"the tracker redirected to {UntrustedText.Clean(to.Host, 64)}, an address we do not dial; not followed");
        return to;
    }

    private static AddressFamily Family(Uri uri) =>
        IPAddress.TryParse(uri.IdnHost, out var address) ? address.AddressFamily : AddressFamily.Unspecified;
}
