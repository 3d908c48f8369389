using System.Net.Sockets;
using TorrentLab.Bencode;
using TorrentLab.Dht;
using TorrentLab.Extensions;
using TorrentLab.Magnet;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Client;

/// <summary>What kind of failure stopped an operation, so a caller can choose its exit code or status.</summary>
public enum FailureKind
{
    /// <summary>Not bencode, not a valid torrent or magnet link.</summary>
    BadInput,
    /// <summary>A peer failed or broke the protocol, or the network did.</summary>
    Peer,
    /// <summary>The tracker answered with a failure, or could not be reached.</summary>
    Tracker,
    /// <summary>The disk is full.</summary>
    NoSpace,
    /// <summary>A file could not be read or written, or does not exist.</summary>
    Io,
    /// <summary>Something of the user's is in the way (a file the torrent did not write): nothing was changed.</summary>
    Conflict,
    /// <summary>The operation could not finish for another reason the library reports (e.g. no peer delivered).</summary>
    Failed,
    /// <summary>A valid input the library cannot handle yet (downloading or seeding a v2-only torrent, BEP 52).</summary>
    Unsupported,
    /// <summary>Not a failure the library reports: a bug, or caller misuse.</summary>
    Unexpected,
}

/// <summary>Classifies what an operation threw: its kind and one line that says where and what.</summary>
public static class Failure
{
    /// <summary>The kind of <paramref name="e"/> and its one-line message (prefixed like <c>error: tracker: ...</c>).</summary>
    public static (FailureKind Kind, string Message) Describe(Exception e) => e switch
    {
        BencodeException { IsLimit: true } b => (FailureKind.BadInput, $"error: input over a limit: {b.Message}"),
        BencodeException b => (FailureKind.BadInput, $"error: invalid bencode: {b.Message}"),
        MetainfoException m => (FailureKind.BadInput, $"error: invalid torrent: {m.Message}"),
        MagnetException m => (FailureKind.BadInput, $"error: invalid magnet link: {m.Message}"),
        MetadataException m => (FailureKind.Peer, $"error: metadata: {m.Message}"),
        ExtensionException x => (FailureKind.Peer, $"error: peer: {x.Message}"),
        DhtException d => (FailureKind.Peer, $"error: dht: {d.Message}"),
        BlocklistException b => (FailureKind.BadInput, $"error: blocklist: {b.Message}"),
        TrackerException t => (FailureKind.Tracker, $"error: tracker: {t.Message}"),
        WireException w => (FailureKind.Peer, $"error: peer: {w.Message}"),
        TorrentUrlException u => (u.Refused ? FailureKind.BadInput : FailureKind.Failed, $"error: {u.Message}"),
        ForeignFileException f => (FailureKind.Conflict, $"error: {f.Message}"),
        StorageException { IsOutOfSpace: true } s => (FailureKind.NoSpace, $"error: no space left on device: {s.Message}"),
        StorageException or IOException when StorageErrors.ReadOnlyPath(e) is { } path => (FailureKind.Io, $"error: {StorageErrors.ReadOnlyLine(path)}"),
        StorageException s => (FailureKind.Io, $"error: {s.Message}"),
        SocketException s => (FailureKind.Peer, $"error: network: {s.Message}"),
        TimeoutException t => (FailureKind.Peer, $"error: timed out: {t.Message}"),
        FileNotFoundException { FileName: { } name } when Directory.Exists(name) => (FailureKind.Io, $"error: {name} is a folder, not a file"),
        FileNotFoundException f => (FailureKind.Io, $"error: file not found: {f.FileName ?? f.Message}"),
        DirectoryNotFoundException d => (FailureKind.Io, $"error: {d.Message}"),
        UnauthorizedAccessException u => (FailureKind.Io, $"error: permission denied: {u.Message}"),
        IOException io when StorageErrors.IsOutOfSpace(io) => (FailureKind.NoSpace, $"error: no space left on device: {io.Message}"),
        IOException io => (FailureKind.Io, $"error: {io.Message}"),
        TorrentLabException t => (FailureKind.Failed, $"error: {t.Message}"),
        NotSupportedException n => (FailureKind.Unsupported, $"error: not supported yet: {n.Message}"),
        _ => (FailureKind.Unexpected, $"error: unexpected {e.GetType().Name}: {e.Message}"),
    };
}
