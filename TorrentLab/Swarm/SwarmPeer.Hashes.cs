using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

// BEP 52's hash messages on this connection, through the one exchange the reference story and the lab's peers use too
// (Pieces/HashExchange.cs): asking a v2 peer for the piece layers our torrent lacks, answering its hash requests.
internal sealed partial class SwarmPeer
{
    private HashExchange? _hashes; // receive loop only

    private HashExchange Hashes => _hashes ??= new HashExchange(_parts.Torrent, _pieces.Check);

    /// <summary>Asks the peer, when it speaks v2, for every piece layer still missing.</summary>
    public void RequestMissingLayers()
    {
        if (!_swarm.Downloading || Connection.RemoteHandshake is not { } theirs || !HashExchange.SpeaksV2(theirs, _parts.Torrent)) return;
        foreach (var request in Hashes.RequestMissing()) Enqueue(request);
    }

    /// <summary>A <c>hash request</c>: answered with <c>hashes</c> from a piece layer we know, else with <c>hash reject</c>.</summary>
    private void OnHashRequest(in PeerMessage message) => _upload.EnqueueAnswer(Hashes.Answer(message), "hash");

    /// <summary>A <c>hashes</c> answer to one of our requests; a layer that does not hash up to the root drops the peer.</summary>
    /// <exception cref="PeerViolation">The layer the peer sent does not hash up to the root.</exception>
    private void OnHashes(in PeerMessage message)
    {
        switch (Hashes.OnHashes(message, out var file))
        {
            case HashesOutcome.Wrong:
                throw new PeerViolation($"its piece layer for '{_parts.Torrent.Files[file].DisplayPath}' does not hash up to the file's pieces root");
            case HashesOutcome.Learned:
                _swarm.OnLayerLearned(this, file);
                break;
        }
    }

    /// <summary>A <c>hash reject</c>: the peer has not got that layer; another v2 peer will be asked.</summary>
    private void OnHashReject(in PeerMessage message) => Hashes.OnReject(message);
}
