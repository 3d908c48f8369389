namespace TorrentLab.Utp;

/// <summary>uTP's congestion control (BEP 29, "congestion control"): LEDBAT, driven by one-way queuing delay against a
/// 100 ms target, and by loss like TCP.</summary>
/// <remarks>
/// The window <c>max_window</c> is the number of bytes the connection may have in flight. Each ack carries
/// <c>timestamp_difference_microseconds</c>, the peer's measure of how long our packet took to reach it (on clocks
/// that are not synchronised, so only its changes matter). Subtracting the two-minute minimum, <c>base_delay</c>,
/// leaves <c>our_delay</c>, the time our packets spent queued somewhere. BEP 29:
/// <code>
/// delay_factor = off_target / CCONTROL_TARGET;
/// window_factor = outstanding_packet / max_window;
/// scaled_gain = MAX_CWND_INCREASE_PACKETS_PER_RTT * delay_factor * window_factor;
/// max_window += scaled_gain;
/// </code>
/// with <c>off_target = CCONTROL_TARGET - our_delay</c>. Below the target the window grows, above it shrinks, in
/// proportion to how far off it is; <c>window_factor</c> (the bytes this ack acknowledged over the window) spreads
/// one round trip's worth of change over that round trip's acks. The BEP's prose says the window shrinks "if
/// off_target is greater than 0"; its formula, which is what uTP clients run, grows it then, and so does this code.
/// </remarks>
internal sealed class Ledbat
{
    /// <summary>CCONTROL_TARGET: "the uTP target delay is set to 100 ms".</summary>
    public const int TargetMicros = 100_000;

    /// <summary>MAX_CWND_INCREASE_PACKETS_PER_RTT, in bytes: the most the window grows in one round trip (the
    /// reference implementation's 3000 bytes, about two full packets).</summary>
    public const int MaxIncreasePerRtt = 3000;

    /// <summary>BEP 29 ("packet sizes"): uTP "adjusts its packet size down to as small as 150 bytes per packet".</summary>
    public const int MinPacketSize = 150;

    private readonly DelayHistory _baseDelay = new();
    private readonly int _ceiling;

    /// <param name="initialWindow">Bytes in flight allowed before the first ack.</param>
    /// <param name="ceiling">The largest window, a bound on memory (the send buffer holds what is in flight).</param>
    public Ledbat(int initialWindow, int ceiling)
    {
        _ceiling = ceiling;
        MaxWindow = Math.Clamp(initialWindow, MinPacketSize, ceiling);
    }

    /// <summary>max_window: the bytes the connection may have in flight.</summary>
    public double MaxWindow { get; private set; }

    /// <summary>our_delay from the last sample, in microseconds (queuing delay over the base delay).</summary>
    public uint OurDelay { get; private set; }

    /// <summary>The base delay: the lowest one-way delay sample of the last two minutes.</summary>
    public uint BaseDelay => _baseDelay.HasBase ? _baseDelay.BaseDelay : 0;

    /// <summary>An ack arrived that acknowledged <paramref name="bytesAcked"/> payload bytes and carried the peer's
    /// delay sample <paramref name="delaySample"/> (0 means "no sample yet" and changes nothing).</summary>
    public void OnAck(int bytesAcked, uint delaySample, long nowMicros)
    {
        if (delaySample == 0 || bytesAcked <= 0) return;
        OurDelay = _baseDelay.Add(delaySample, nowMicros);
        double offTarget = TargetMicros - (double)OurDelay;                        // off_target = CCONTROL_TARGET - our_delay
        var delayFactor = offTarget / TargetMicros;                                 // delay_factor = off_target / CCONTROL_TARGET
        var windowFactor = Math.Min(bytesAcked, MaxWindow) / Math.Max(MaxWindow, bytesAcked); // window_factor = outstanding_packet / max_window
        var scaledGain = MaxIncreasePerRtt * delayFactor * windowFactor;           // scaled_gain = MAX_CWND_INCREASE... * delay_factor * window_factor
        // max_window += scaled_gain. "If max_window becomes less than 0, it is set to 0"; we keep one smallest
        // packet instead, which the BEP's timeout would restore anyway, one timeout later.
        MaxWindow = Math.Clamp(MaxWindow + scaledGain, MinPacketSize, _ceiling);
    }

    /// <summary>BEP 29 ("packet loss"): "When a packet is lost, the max_window is multiplied by 0.5 to mimic TCP."</summary>
    public void OnLoss() => MaxWindow = Math.Max(MaxWindow * 0.5, MinPacketSize);

    /// <summary>BEP 29 ("timeouts"): on a timeout the socket sets "its packet_size and max_window to the smallest packet
    /// size (150 bytes)", which still lets it send one packet.</summary>
    public void OnTimeout() => MaxWindow = MinPacketSize;

    /// <summary>The packet size to use now, header included: small while the window is small ("at slow rates, small
    /// packet sizes are used"), up to <paramref name="mtu"/> once the window holds a full packet.</summary>
    public int PacketSize(int mtu) => Math.Clamp((int)MaxWindow, MinPacketSize, mtu);
}
