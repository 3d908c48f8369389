using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Lab;

/// <summary>Fills <paramref name="destination"/> with the payload bytes starting at <paramref name="offset"/> of the
/// torrent's concatenated files.</summary>
public delegate void PayloadReader(long offset, Span<byte> destination);

/// <summary>What a <see cref="SyntheticPeer"/> seeds and how it behaves.</summary>
public sealed record SyntheticPeerOptions
{
    public required InfoHash InfoHash { get; init; }
    public required int PieceLength { get; init; }
    public required long TotalLength { get; init; }

    /// <summary>Where blocks come from; no storage stage needed.</summary>
    public required PayloadReader Payload { get; init; }

    public int PieceCount => (int)((TotalLength + PieceLength - 1) / PieceLength);

    public SyntheticBehaviour Behaviour { get; init; } = SyntheticBehaviour.Normal;

    /// <summary>The pieces it really has and announces (null: all of them, a seeder).</summary>
    public IReadOnlySet<int>? HasPieces { get; init; }

    /// <summary>Connections accepted before the listener closes (bounded, so a runaway test cannot loop forever).</summary>
    public int MaxConnections { get; init; } = 8;

    /// <summary>The peer id it answers with (default: a fresh BEP 20 id).</summary>
    public PeerId? PeerId { get; init; }

    /// <summary><see cref="SyntheticBehaviour.Slow"/>: the wait after each block.</summary>
    public TimeSpan SlowDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary><see cref="SyntheticBehaviour.ChokesMidPiece"/>: blocks of one piece served before the choke.</summary>
    public int ChokeAfterBlocks { get; init; } = 1;

    /// <summary><see cref="SyntheticBehaviour.ChokesMidPiece"/> and <see cref="SyntheticBehaviour.ChokesBeforeHave"/>: how
    /// long it stays choked.</summary>
    public TimeSpan ChokeDuration { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary><see cref="SyntheticBehaviour.ChokesBeforeHave"/>: the piece it has but announces only with a <c>have</c>
    /// sent right after a <c>choke</c> (at least 1: the trap is set by the last block of the piece before it).</summary>
    public int? HeldBackPiece { get; init; }

    /// <summary>How long it waits after <c>interested</c> before it unchokes (zero: at once). The lab checker uses a
    /// pause so that requests sent before the unchoke arrive while it still chokes, and are logged as dropped.</summary>
    public TimeSpan UnchokeDelay { get; init; }

    /// <summary><see cref="SyntheticBehaviour.DisconnectsAfterBlocks"/>: blocks sent before it hangs up.</summary>
    public int DisconnectAfterBlocks { get; init; } = 4;

    /// <summary><see cref="SyntheticBehaviour.CorruptBlock"/>: the piece whose first block it corrupts; -1 corrupts
    /// the first block of every piece (a peer that is always caught, whichever pieces it is asked for).</summary>
    public int CorruptPieceIndex { get; init; }

    /// <summary><see cref="SyntheticBehaviour.LiesInBitfield"/>: pieces claimed but not served (default: odd indexes).</summary>
    public IReadOnlySet<int>? MissingPieces { get; init; }

    /// <summary><see cref="SyntheticBehaviour.LiesInBitfield"/>: what a request for a missing piece gets.</summary>
    public LieReaction LieReaction { get; init; } = LieReaction.Close;

    /// <summary><see cref="SyntheticBehaviour.OversizedLength"/>: the length prefix sent (0x7fffffff: 2 GiB).</summary>
    public uint OversizedLength { get; init; } = 0x7fff_ffff;

    /// <summary>A piece it lacks at first (left out of its bitfield, requests for it refused) until
    /// <see cref="SyntheticPeer.AcquireLate"/>; then it serves it and sends <c>have</c>. The lab's <c>--faults</c> make
    /// the corrupting peer the only one holding the asked piece at first, so no downloader avoids its corrupt block.</summary>
    public int? LatePiece { get; init; }

    /// <summary>For a v2 torrent: rejects every hash request (BEP 52) until <see cref="SyntheticPeer.AcquireLate"/>, as a
    /// peer that has not got the piece layers yet.</summary>
    public bool LateHashes { get; init; }

    /// <summary>With <see cref="ServeMetadata"/>: rejects every ut_metadata request (BEP 9) until
    /// <see cref="SyntheticPeer.AcquireLate"/>, as a peer that has no metadata yet.</summary>
    public bool LateMetadata { get; init; }

    /// <summary>Sets the BEP 10 bit and serves <see cref="RawInfo"/> over ut_metadata (BEP 9), so magnet links can be
    /// resolved against it.</summary>
    public bool ServeMetadata { get; init; }

    /// <summary>With <see cref="ServeMetadata"/>: the <c>metadata_size</c> its extension handshake announces instead of
    /// the true one (a lie; its answers still carry the true <c>total_size</c> and pieces); null tells the truth.</summary>
    public long? AnnouncedMetadataSize { get; init; }

    /// <summary>With <see cref="ServeMetadata"/>: how long it waits before sending its extension handshake (lets a test
    /// choose which peer a downloader hears from first).</summary>
    public TimeSpan ExtensionHandshakeDelay { get; init; }

    /// <summary>The raw info dictionary served with <see cref="ServeMetadata"/> (<see cref="ForTorrent"/> fills it in).</summary>
    public ReadOnlyMemory<byte> RawInfo { get; init; }

    /// <summary>The v2 or hybrid torrent whose piece layers it serves in answer to BEP 52 hash requests, with the upgrade
    /// bit set in its handshake (<see cref="ForTorrent"/> fills it in for such torrents); null for a v1 torrent.</summary>
    public Torrent? V2Torrent { get; init; }

    /// <summary>The id it receives ut_metadata on: 2, as libtorrent, unlike TorrentLab's 3, so a client that mixes up
    /// whose id is whose fails against it.</summary>
    public byte MetadataExtensionId { get; init; } = DefaultMetadataExtensionId;

    /// <summary>libtorrent's id for ut_metadata, the default of <see cref="MetadataExtensionId"/>.</summary>
    public const byte DefaultMetadataExtensionId = 2;

    /// <summary>Timeouts, encryption and trace for its connections (the piece count is filled in). By default it accepts
    /// both plaintext and MSE/PE handshakes, as real clients do. Internal: the library's wire options are its own, and
    /// only the lab and its tests set them.</summary>
    internal PeerConnectionOptions Connection { get; init; } = PeerConnectionOptions.Default with { Encryption = EncryptionPolicy.Prefer };

    /// <summary>The address it listens on, with a port the network picks: 127.0.0.1 on the kernel's sockets (the lab
    /// and most tests), a simulated host's own address when <see cref="Connection"/>'s network is that host. It
    /// listens, waits and paces itself through <see cref="Connection"/>'s network and clock, so the same peer runs on
    /// real sockets and on a simulated network.</summary>
    internal System.Net.IPAddress Address { get; init; } = System.Net.IPAddress.Loopback;

    /// <summary>Sets BEP 6's fast extension bit: with a downloader that sets it too, it sends have all (or have none)
    /// and its allowed fast set, serves those pieces while choking, and rejects other requests sent while choked.</summary>
    public bool Fast { get; init; } = true;

    /// <summary>Receives each line of the peer's log as it is written (the log is also kept, bounded).</summary>
    public Action<string>? OnLog { get; init; }

    /// <summary>Options to seed <paramref name="payload"/> (all files concatenated) of <paramref name="torrent"/>.</summary>
    public static SyntheticPeerOptions ForTorrent(Torrent torrent, byte[] payload, SyntheticBehaviour behaviour = SyntheticBehaviour.Normal)
    {
        if (payload.LongLength != torrent.TotalLength)
            throw new ArgumentException($"payload has {payload.LongLength} bytes, the torrent describes {torrent.TotalLength}", nameof(payload));
        return new SyntheticPeerOptions
        {
            InfoHash = torrent.InfoHash,
            PieceLength = torrent.PieceLength,
            TotalLength = torrent.TotalLength,
            Payload = (offset, destination) => payload.AsSpan((int)offset, destination.Length).CopyTo(destination),
            Behaviour = behaviour,
            RawInfo = torrent.RawInfo,
            V2Torrent = torrent.InfoHashV2 is null ? null : torrent,
        };
    }

    /// <summary>The length of piece <paramref name="index"/> (the last one is shorter).</summary>
    public int GetPieceLength(int index) =>
        index < PieceCount - 1 ? PieceLength : (int)(TotalLength - (long)index * PieceLength);

    /// <summary>Whether it truly can serve piece <paramref name="index"/>.</summary>
    public bool CanServe(int index) =>
        (HasPieces is null || HasPieces.Contains(index))
        && !(Behaviour == SyntheticBehaviour.LiesInBitfield && (MissingPieces?.Contains(index) ?? index % 2 == 1));
}
