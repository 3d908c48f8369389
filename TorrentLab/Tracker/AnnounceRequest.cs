using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tracker;

/// <summary>What a client tells a tracker about itself in one announce (BEP 3 "Trackers").</summary>
/// <param name="InfoHash">The torrent, sent as its 20 raw bytes.</param>
/// <param name="PeerId">Our 20-byte peer id (BEP 20).</param>
/// <param name="Port">The TCP port we accept peer connections on.</param>
/// <param name="Uploaded">Bytes uploaded since the <see cref="AnnounceEvent.Started"/> announce.</param>
/// <param name="Downloaded">Bytes downloaded since the <see cref="AnnounceEvent.Started"/> announce.</param>
/// <param name="Left">Bytes still missing; 0 means we are a seeder.</param>
/// <param name="Event">started, completed, stopped, or none for a regular announce.</param>
/// <param name="NumWant">How many peers we would like (a hint; trackers may send fewer). 200 by default
/// (<see cref="DefaultNumWant"/>).</param>
public sealed record AnnounceRequest(InfoHash InfoHash, PeerId PeerId, int Port, long Uploaded, long Downloaded, long Left,
    AnnounceEvent Event = AnnounceEvent.None, int NumWant = AnnounceRequest.DefaultNumWant)
{
    /// <summary>200, as libtorrent asks. A tracker still lists peers that left without a <c>stopped</c> announce until
    /// they time out (opentracker: about 30 minutes); a random 50 of them can hold none that is alive, and the next
    /// announce then waits the tracker's <c>min interval</c> (opentracker: 15 minutes). The peer book bounds what it
    /// keeps.</summary>
    public const int DefaultNumWant = 200;

    /// <summary>A random number that lets the tracker recognise us if our address changes (BEP 3 extension, BEP 15 <c>key</c>).</summary>
    public uint Key { get; init; }

    /// <summary>The <c>tracker id</c> the tracker gave in an earlier answer, echoed back as <c>trackerid</c> (BEP 3).</summary>
    public string? TrackerId { get; init; }
}
