using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>Which peers a swarm will not serve: clients banned by the session's rules (<see cref="ClientBanList"/>),
/// checked at the handshake (the peer id) and at the extension handshake (BEP 10's <c>v</c>), and peers whose claimed
/// progress does not grow with what they take from us (<see cref="ProgressClaims"/>, one per peer). The swarm drops and
/// bans (<see cref="TorrentSwarm.Ban"/>) a peer any of them names, with the reason it returns.</summary>
/// <param name="bans">The session's client rules, read at each check (they may change while the swarm runs); null: none.</param>
/// <param name="torrent">The torrent: its piece length and size set how much a peer may take before its claims must grow.</param>
internal sealed class PeerRules(ClientBanList? bans, Torrent torrent)
{
    /// <summary>Why a peer with this <paramref name="id"/> is refused at its handshake; null when no rule names it.</summary>
    public string? RefusesId(PeerId id) => bans?.MatchId(id.Bytes) is { } rule
        ? $"client banned by rule '{rule}' (peer id {ClientBanList.Printable(id.Bytes)}..., {id.Client})"
        : null;

    /// <summary>Why a peer whose extension handshake says <c>v</c> = <paramref name="client"/> is dropped; null when no
    /// rule names it.</summary>
    public string? RefusesClient(string? client) => bans?.MatchClient(client) is { } rule
        ? $"client banned by rule '{rule}' (its extension handshake says v=\"{client}\")"
        : null;

    /// <summary>A new peer's claims, to follow from its first bitfield to its end.</summary>
    public ProgressClaims Watch() => new(torrent.PieceLength, torrent.TotalLength, torrent.PieceCount);
}
