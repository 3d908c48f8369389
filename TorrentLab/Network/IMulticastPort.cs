using System.Net;

namespace TorrentLab.Network;

/// <summary>A multicast group joined on every interface that can (BEP 14's local service discovery): sends go to the
/// group once per interface, and what the group hears is handed on.</summary>
internal interface IMulticastPort : IDisposable
{
    /// <summary>The group.</summary>
    IPEndPoint Group { get; }

    /// <summary>The interfaces joined, by name and address, for a log line.</summary>
    IReadOnlyList<string> InterfaceNames { get; }

    /// <summary>Sends <paramref name="datagram"/> to the group once on each interface joined; returns how many sends
    /// succeeded (an interface that went away is skipped).</summary>
    Task<int> SendAsync(byte[] datagram, CancellationToken ct);

    /// <summary>Starts handing every datagram the group hears to <paramref name="onDatagram"/> (the memory is lent for
    /// the call only), cut to <paramref name="maxDatagram"/> bytes.</summary>
    void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, int maxDatagram);
}
