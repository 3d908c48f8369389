using System.Buffers.Binary;
using System.Net;
using TorrentLab.Metainfo;

namespace TorrentLab.Tracker.Server;

// Each address's share of the torrents (TrackerServerOptions.MaxTorrentsPerAddress). A torrent counts against the
// address whose announce made the tracker hold it (it "started" it), until the tracker forgets it with its last peer;
// an announce into a torrent the tracker holds already starts nothing, whoever started it. Past its share an address
// is refused a new torrent, with a BEP 3 failure reason or a BEP 15 error, before anything is allocated for it, so one
// address flooding the tracker with made-up info hashes holds at most its share (about 400 bytes a torrent of one
// peer: 4 MB for 10,000), where it held everything it announced until its peers expired 45 minutes later.
internal sealed partial class TrackedSwarm
{
    private readonly Dictionary<Origin, int> _started = [];
    private readonly Lock _startedLock = new();

    /// <summary>Whom a torrent counts against: an IPv4 address, or an IPv6 /64 (the block one subscriber is given:
    /// one machine can announce from any of its 2^64 addresses).</summary>
    private readonly record struct Origin(ulong Prefix, bool IsIPv6)
    {
        public static Origin Of(in PeerAddress where) => where.IsIPv6
            ? new Origin(BinaryPrimitives.ReadUInt64BigEndian(where.Bytes), true)
            : new Origin(BinaryPrimitives.ReadUInt32BigEndian(where.Bytes), false);

        public override string ToString()
        {
            Span<byte> bytes = stackalloc byte[16];
            bytes.Clear();
            if (!IsIPv6)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Prefix);
                return new IPAddress(bytes[..4]).ToString();
            }
            BinaryPrimitives.WriteUInt64BigEndian(bytes, Prefix);
            return $"{new IPAddress(bytes)}/64";
        }
    }

    /// <summary>How many torrents held now <paramref name="address"/> started (its /64 for IPv6).</summary>
    internal int StartedBy(IPAddress address)
    {
        var origin = Origin.Of(PeerAddress.Of(new IPEndPoint(address, 1)));
        lock (_startedLock) return _started.GetValueOrDefault(origin);
    }

    // The torrent an announce goes into: the one held, or a new one counted against the announcing address (refused
    // past its share). Null for 'stopped' into a torrent not held: nothing to leave, so nothing is made.
    private Torrent? TorrentFor(InfoHash infoHash, in PeerAddress where, AnnounceEvent evt)
    {
        if (_torrents.TryGetValue(infoHash, out var held)) return held;
        if (evt == AnnounceEvent.Stopped) return null;
        var origin = Origin.Of(where);
        Reserve(origin);
        var made = new Torrent { Starter = origin };
        var torrent = _torrents.GetOrAdd(infoHash, made);
        if (!ReferenceEquals(torrent, made)) Release(origin); // another announce made it a moment before: its starter's
        return torrent;
    }

    private void Reserve(Origin origin)
    {
        lock (_startedLock)
        {
            var started = _started.GetValueOrDefault(origin);
            // BEP 3: "failure reason: If present, then no other keys may be present. The value is a human-readable
            // error message as to why the request failed." (BEP 15 sends the same text in its error action.)
            if (started >= maxTorrentsPerAddress)
                throw new TrackerException($"{origin} has started {maxTorrentsPerAddress} torrents that this tracker still holds, the most one " +
                    "address may: a new torrent is tracked once some of those have lost their last peer");
            _started[origin] = started + 1;
        }
    }

    private void Release(Origin origin)
    {
        lock (_startedLock)
        {
            var started = _started.GetValueOrDefault(origin);
            if (started > 1) _started[origin] = started - 1;
            else _started.Remove(origin); // no entry kept for an address that holds nothing
        }
    }
}
