using System.Reflection;

namespace TorrentLab.Tracker;

/// <summary>Time limits and retry schedule for <see cref="TrackerClient"/>.</summary>
public sealed record TrackerClientOptions
{
    /// <summary>The most time one HTTP request (connect, send, whole answer) may take; 15 s by default.</summary>
    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Largest HTTP answer read; 1 MiB is thousands of peers, more is a broken or hostile tracker.</summary>
    public int MaxResponseBytes { get; init; } = 1 << 20;

    /// <summary>How long to wait for each UDP attempt before sending again.</summary>
    /// <remarks>BEP 15: "If a response is not received after 15 * 2 ^ n seconds, the client should retransmit the
    /// request, where n starts at 0 and is increased up to 8 (3840 seconds) after every retransmission."
    /// The default stops after n = 2 (15 + 30 + 60 s): a CLI user will not wait an hour. Tests use milliseconds.</remarks>
    public IReadOnlyList<TimeSpan> UdpRetransmitSchedule { get; init; } =
        [TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60)];

    /// <summary>The BEP 15 schedule in full: 15 x 2^n seconds for n = 0..8.</summary>
    public static IReadOnlyList<TimeSpan> Bep15Schedule { get; } =
        Enumerable.Range(0, 9).Select(n => TimeSpan.FromSeconds(15 * (1 << n))).ToArray();

    /// <summary>The HTTP User-Agent: names TorrentLab and its version.</summary>
    public string UserAgent { get; init; } = DefaultUserAgent;

    /// <summary>Shuffle each tier once, as BEP 12 asks; tests turn it off to get a known order.</summary>
    public bool ShuffleTiers { get; init; } = true;

    /// <summary>How HTTP trackers are dialled: every host, after name resolution, through the address policy (tests
    /// swap the resolver and record the connects).</summary>
    internal HostDialer Dialer { get; init; } = HostDialer.System;

    /// <summary>The session's interface binding, if any: while its interface is down, announces are skipped.</summary>
    internal Network.BoundNetwork? Bound { get; init; }

    /// <summary>The clock of the HTTP time limit, the UDP retransmissions and the age of a UDP connection id (a session
    /// passes its own).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    internal static string DefaultUserAgent { get; } =
        $"TorrentLab/{typeof(TrackerClientOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0"}";
}
