using System.Buffers;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;

namespace TorrentLab.Magnet;

/// <summary>Builds a .torrent file from a magnet link and the info dictionary fetched for it (for <c>--save-torrent</c>).</summary>
internal static class MagnetTorrentFile
{
    /// <summary>The bytes of a .torrent: the magnet's trackers as <c>announce</c> (and one BEP 12 tier each when
    /// there are several), its web seeds as <c>url-list</c>, and the info dictionary exactly as fetched, so the
    /// file's info hash is the link's.</summary>
    /// <code>
    /// d 8:announce &lt;tr 1&gt; 13:announce-list l l&lt;tr 1&gt;e l&lt;tr 2&gt;e e 4:info &lt;raw info&gt; 8:url-list l&lt;ws&gt;...e e
    /// </code>
    /// <exception cref="ArgumentException"><paramref name="rawInfo"/> does not hash to the link's info hash.</exception>
    public static byte[] Build(MagnetLink link, ReadOnlyMemory<byte> rawInfo)
    {
        if (!MetadataAssembler.Matches(rawInfo.Span, link.InfoHash, link.InfoHashV2, link.IsV2Only))
            throw new ArgumentException($"the info dictionary does not hash to {link.InfoHashV2?.Hex ?? link.InfoHash.Hex}", nameof(rawInfo));
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteRaw("d"u8);   // keys in sorted order: announce, announce-list, info, url-list
        if (link.Trackers.Count > 0)
        {
            writer.WriteString("announce");
            writer.WriteString(link.Trackers[0]);
        }
        if (link.Trackers.Count > 1)
        {
            writer.WriteString("announce-list");
            writer.Write(new BList(link.Trackers.Select(t => (BValue)new BList([new BString(t)])).ToList()));
        }
        writer.WriteString("info");
        writer.WriteRaw(rawInfo.Span);   // verbatim: re-encoding could change the info hash
        if (link.WebSeeds.Count > 0)
        {
            writer.WriteString("url-list");
            writer.Write(new BList(link.WebSeeds.Select(w => (BValue)new BString(w)).ToList()));
        }
        writer.WriteRaw("e"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
