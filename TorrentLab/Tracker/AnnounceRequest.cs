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
/// <param name="NumWant">How many peers we would like (a hint; trackers may send fewer).</param>
public sealed record AnnounceRequest(InfoHash InfoHash, PeerId PeerId, int Port, long Uploaded, long Downloaded, long Left,
    AnnounceEvent Event = AnnounceEvent.None, int NumWant = 50)
{
    /// <summary>A random number that lets the tracker recognise us if our address changes (BEP 3 extension, BEP 15 <c>key</c>).</summary>
    public uint Key { get; init; }

    /// <summary>The <c>tracker id</c> the tracker gave in an earlier answer, echoed back as <c>trackerid</c> (BEP 3).</summary>
    public string? TrackerId { get; init; }
}
