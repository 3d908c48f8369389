using System.Net;
using TorrentLab.Downloads;

namespace TorrentLab.Swarm;

// Local service discovery (BEP 14) as one more peer source: the session's LSD socket announces this torrent on the
// local network and hands it the peers heard there (Session.Lsd.cs).
internal sealed partial class TorrentSwarm
{
    /// <summary>The session's local service discovery announces this torrent: it runs, and the torrent is public.</summary>
    /// <remarks>BEP 27: a private torrent's client "MUST ONLY initiate connections to peers returned from the private
    /// trackers", so a private torrent is neither announced nor given local peers.</remarks>
    public bool UsesLsd => _session.Settings.Lsd && !Torrent.IsPrivate;

    /// <summary>A peer heard on the local network; true when it was new.</summary>
    public bool OnLocalPeer(IPEndPoint peer) => AddPeers([peer], PeerSource.Lsd) > 0;
}
