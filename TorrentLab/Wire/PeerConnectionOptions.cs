using TorrentLab.Metainfo;
using TorrentLab.Network;

namespace TorrentLab.Wire;

/// <summary>How a <see cref="PeerConnection"/> behaves: piece count for validation, timeouts, keep-alives, tracing.</summary>
internal sealed record PeerConnectionOptions
{
    /// <summary>The defaults: unknown piece count, generous timeouts, no trace.</summary>
    public static PeerConnectionOptions Default { get; } = new();

    /// <summary>The torrent's piece count, which <c>bitfield</c> and <c>have</c> are validated against; null while
    /// unknown (a magnet link before its metadata), then given with <see cref="PeerConnection.SetPieceCount"/>.</summary>
    public int? PieceCount { get; init; }

    /// <summary>Set BEP 10's extension bit in our handshake (for BEP 9 metadata exchange with magnet links).</summary>
    public bool AdvertiseExtensions { get; init; }

    /// <summary>Set BEP 6's fast extension bit in our handshake; when the peer sets it too (<see cref="PeerConnection.FastAgreed"/>)
    /// the caller must answer every request with a piece or a reject.</summary>
    public bool AdvertiseFast { get; init; }

    /// <summary>Set BEP 52's v2 upgrade bit in our handshake: for v2 and hybrid torrents, whose peers may ask us for
    /// merkle hashes (<see cref="HashMessages"/>).</summary>
    public bool AdvertiseV2 { get; init; }

    /// <summary>A hybrid torrent's other identity, its truncated v2 info hash: a v2 peer may answer our handshake
    /// with it instead of the v1 hash we sent (BEP 52's upgrade), and the connection is still for our torrent.</summary>
    public InfoHash? AlternateInfoHash { get; init; }

    /// <summary>MSE/PE protocol encryption: <see cref="EncryptionPolicy.Off"/> here (plain BEP 3, what the classroom
    /// commands and the lab speak); downloads and seeding ask for <see cref="EncryptionPolicy.Prefer"/>.</summary>
    public EncryptionPolicy Encryption { get; init; } = EncryptionPolicy.Off;

    /// <summary>How long a TCP connect may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the handshake exchange may take once connected (each of the MSE/PE and BEP 3 handshakes).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <see cref="PeerConnection.ReceiveAsync"/> may wait with no byte from the peer before the
    /// connection is dropped. 3 minutes: BEP 3 peers send a keep-alive every 2 minutes when they have nothing else.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>A keep-alive is sent when we have sent nothing for this long. BEP 3: "Keepalives are generally sent
    /// once every two minutes."</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The clock of every deadline of the connection: connect, handshake, keep-alive and idle (a swarm passes
    /// its session's; a test moves a manual one; a simulation runs its virtual one).</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The network a TCP connection is dialled on (<see cref="PeerConnection.ConnectAsync(System.Net.IPEndPoint, InfoHash, PeerId, PeerConnectionOptions, CancellationToken)"/>):
    /// a session's, else the kernel's.</summary>
    internal INetwork Network { get; init; } = SystemNetwork.Instance;

    /// <summary>The longest <c>piece</c> block accepted when we did not request a longer one (16 KiB).</summary>
    public int MaxBlockLength { get; init; } = WireLimits.BlockLength;

    /// <summary>Receive buffer size: larger buffers mean fewer socket reads at high rates (256 KiB).</summary>
    public int ReceiveBufferSize { get; init; } = 256 * 1024;

    /// <summary>Called for every handshake and message sent or received (for <c>--trace</c>); null for none.
    /// Runs on the sending or receiving task, so it must be quick and thread-safe.</summary>
    public Action<WireTraceEvent>? Trace { get; init; }
}
