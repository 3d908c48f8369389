using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Tracker;

/// <summary>Fixed ids for tracker tests: a binary info hash with bytes that need escaping, and readable peer ids.</summary>
internal static class TrackerTestData
{
    // Bytes chosen to cover unreserved (A, -, ~), reserved ('&', '=', '%', '+', '/') and non-ASCII (0x00, 0xFF) bytes.
    public static readonly InfoHash BinaryHash = new([
        0x00, 0x41, 0x2D, 0x7E, 0x26, 0x3D, 0x25, 0x2B, 0x2F, 0xFF,
        0x80, 0x20, 0x3F, 0x23, 0x61, 0x7A, 0x30, 0x39, 0x2E, 0x5F]);

    public const string BinaryHashEncoded = "%00A-~%26%3D%25%2B%2F%FF%80%20%3F%23az09._";

    public static PeerId Peer(char fill) => new(System.Text.Encoding.ASCII.GetBytes("-TL0100-" + new string(fill, 12)));
}
