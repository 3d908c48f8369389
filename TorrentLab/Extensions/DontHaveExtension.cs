using System.Buffers.Binary;

namespace TorrentLab.Extensions;

/// <summary>BEP 54 <c>lt_donthave</c>: the sender no longer has a piece it announced (libtorrent sends it when a read
/// of the piece fails). We send it for the same reason (Swarm/PeerUpload.Sender.cs).</summary>
/// <remarks>
/// <code>
/// &lt;len=6&gt;&lt;id=20&gt;&lt;extended id&gt;&lt;piece index, 4 bytes big-endian&gt;
/// </code>
/// </remarks>
internal sealed class DontHaveExtension : IExtension
{
    /// <inheritdoc/>
    public string Name => "lt_donthave";

    /// <inheritdoc/>
    public byte Id => 5;

    /// <inheritdoc/>
    public bool OnPrivateTorrents => true;

    /// <summary>The payload that withdraws piece <paramref name="index"/>.</summary>
    public static byte[] Encode(int index)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, index);
        return payload;
    }

    /// <inheritdoc/>
    /// <exception cref="ExtensionException">Not a 4-byte index of a piece of the torrent.</exception>
    public void Receive(IExtensionPeer peer, ReadOnlyMemory<byte> payload)
    {
        if (payload.Length != 4) throw new ExtensionException($"lt_donthave of {payload.Length} bytes, expected a 4-byte piece index");
        var index = BinaryPrimitives.ReadUInt32BigEndian(payload.Span);
        if (index >= (uint)peer.PieceCount) throw new ExtensionException($"lt_donthave for piece {index}, the torrent has {peer.PieceCount}");
        peer.OnPieceLost((int)index);
    }
}
