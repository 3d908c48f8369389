using System.Net;

namespace TorrentLab.Network;

/// <summary>A bound UDP port: datagrams out with <see cref="Send"/>, datagrams in handed to the handler given to
/// <see cref="Start"/>, one at a time.</summary>
internal interface IUdpPort : IDisposable
{
    /// <summary>The address and port bound.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends one datagram. UDP promises nothing: a send that fails is a lost datagram, never an exception.</summary>
    void Send(ReadOnlySpan<byte> datagram, IPEndPoint to);

    /// <summary>Starts handing every datagram received to <paramref name="onDatagram"/> (the memory is lent for the
    /// call only: keep a copy of what you keep), one at a time, and calls <paramref name="onBurstEnd"/> when no more
    /// datagrams wait (or after a long run of them), so a protocol can answer a burst at once (uTP's acks).</summary>
    /// <exception cref="InvalidOperationException">Started already.</exception>
    void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, Action? onBurstEnd = null);
}

/// <summary>How a UDP port is bound and read.</summary>
internal sealed record UdpPortOptions
{
    /// <summary>The longest datagram read whole; a longer one arrives cut to this length (each protocol's parser
    /// refuses it by its own limit: make it one byte more than that limit).</summary>
    public int MaxDatagram { get; init; } = 65_535;

    /// <summary>Receive on a thread of its own with blocking reads (uTP's bulk traffic: thousands of datagrams a
    /// second), rather than with asynchronous reads (the DHT, trackers).</summary>
    public bool ReceiveThread { get; init; }

    /// <summary>With <see cref="ReceiveThread"/>, how many threads read the port at once (the kernel hands each
    /// datagram to one of them): more than one calls the handler from that many threads at once, so it must be safe to
    /// call concurrently, and no burst gathers sends (a server answering each request on its own: our tracker). A
    /// simulated network has one thread, and reads with one.</summary>
    public int ReceiveThreads { get; init; } = 1;

    /// <summary>The kernel's send and receive buffers to ask for, in bytes (0: the system's default); larger ones
    /// absorb bursts.</summary>
    public int BufferBytes { get; init; }

    /// <summary>Datagrams sent while received ones are handled are gathered, and go out together once the burst is
    /// handled (one system call for many with UDP segmentation, where the kernel has it).</summary>
    public bool GatherSends { get; init; }

    /// <summary>An IPv6 port takes IPv6 datagrams only (BEP 32: the IPv6 DHT is a DHT of its own); otherwise the
    /// system's default.</summary>
    public bool IPv6Only { get; init; }
}
