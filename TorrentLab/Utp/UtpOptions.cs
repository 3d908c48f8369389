namespace TorrentLab.Utp;

/// <summary>The sizes and bounds of a uTP socket and its connections.</summary>
internal sealed record UtpOptions
{
    /// <summary>The largest datagram we send, uTP header included: 1400 bytes fit an Ethernet MTU of 1500 with the
    /// IPv6 and UDP headers and room for a tunnel.</summary>
    public int MaxPacketSize { get; init; } = 1400;

    /// <summary>Bytes received in order and not yet read, plus bytes held out of order: the advertised window.</summary>
    public int ReceiveBufferSize { get; init; } = 1024 * 1024;

    /// <summary>Bytes written and not yet packetized; a writer waits while it is full.</summary>
    public int SendBufferSize { get; init; } = 1024 * 1024;

    /// <summary>The largest congestion window in bytes (the unacked packets are held in memory).</summary>
    public int MaxWindow { get; init; } = 4 * 1024 * 1024;

    /// <summary>The congestion window before the first ack: two full packets.</summary>
    public int InitialWindow { get; init; } = 2 * 1400;

    /// <summary>Most packets held out of order ahead of the first gap; later ones are dropped (the sender resends).</summary>
    public int MaxReorderPackets { get; init; } = 1024;

    /// <summary>Timeouts in a row after which a connection is given up (the timeout doubles each time: with the 500 ms
    /// minimum, 6 tries span about half a minute).</summary>
    public int MaxTimeouts { get; init; } = 6;

    /// <summary>Timeouts in a row after which a connection attempt fails (1 + 2 + 4 seconds).</summary>
    public int MaxSynTimeouts { get; init; } = 3;

    /// <summary>Connections a socket keeps at once, in every state; a SYN beyond it is refused with ST_RESET.</summary>
    public int MaxConnections { get; init; } = 1024;

    /// <summary>Incoming connections that have spoken and wait to be accepted; one beyond it is reset.</summary>
    public int AcceptBacklog { get; init; } = 64;

    /// <summary>Incoming connections kept that have sent nothing but their SYN; a new SYN beyond it takes the place
    /// of the oldest. Each holds a few hundred bytes until it speaks (its buffers grow on use).</summary>
    public int MaxHalfOpen { get; init; } = 256;

    /// <summary>How long an accepted connection that has received nothing but the SYN is kept: 10 s, well past the
    /// round trip in which a BitTorrent initiator sends its handshake.</summary>
    public TimeSpan HalfOpenTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a closed connection waits for the peer's FIN after ours was acked.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock of the socket's tick timer (tests count the timers it holds).</summary>
    public TimeProvider Timers { get; init; } = TimeProvider.System;
}
