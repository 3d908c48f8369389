using TorrentLab.Wire;

namespace TorrentLab.Tests.Wire;

/// <summary>One sample of each BEP 3 (and BEP 5, 6, 10) message, keyed by its trace rendering, for the byte-exact theories.</summary>
internal static class WireSamples
{
    /// <summary>The piece count the samples are valid for.</summary>
    public const int PieceCount = 12;

    private static readonly PeerMessage[] All =
    [
        PeerMessage.KeepAlive,
        PeerMessage.Choke,
        PeerMessage.Unchoke,
        PeerMessage.Interested,
        PeerMessage.NotInterested,
        PeerMessage.Have(5),
        PeerMessage.BitfieldOf(new byte[] { 0xC0, 0x10 }),   // pieces 0, 1 and 11 of 12
        PeerMessage.Request(1, 16384, 16384),
        PeerMessage.Piece(1, 16384, new byte[] { 0xAA, 0xBB, 0xCC }),
        PeerMessage.Cancel(1, 16384, 16384),
        PeerMessage.PortOf(6881),
        PeerMessage.Extended(3, new byte[] { 0x64, 0x65 }),
        PeerMessage.UnknownOf(24, new byte[] { 0x00, 0x64 }),
        PeerMessage.Suggest(7),                              // BEP 6
        PeerMessage.HaveAll,
        PeerMessage.HaveNone,
        PeerMessage.Reject(2, 32768, 16384),
        PeerMessage.AllowedFast(11),
    ];

    /// <summary>The sample whose <see cref="PeerMessage.ToString"/> is <paramref name="name"/>.</summary>
    public static PeerMessage Get(string name) => All.Single(m => m.ToString() == name);

    /// <summary>Hex with spaces (for readable rows) to bytes.</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));
}
