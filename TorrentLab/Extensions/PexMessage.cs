using System.Net;
using System.Net.Sockets;
using TorrentLab.Bencode;
using TorrentLab.Tracker;

namespace TorrentLab.Extensions;

/// <summary>BEP 11 per-peer flags carried in <c>added.f</c> / <c>added6.f</c>, one byte per added peer.</summary>
[Flags]
internal enum PexFlags : byte
{
    None = 0,
    PrefersEncryption = 0x01,   // BEP 11: "prefers encryption, as indicated by e field in extension handshake"
    Seed = 0x02,                // BEP 11: "seed/upload_only"
    SupportsUtp = 0x04,         // BEP 11: "supports uTP"
    SupportsHolepunch = 0x08,   // BEP 11: "peer indicates it supports ut_holepunch"
    Reachable = 0x10,           // BEP 11: "outgoing connection, peer is reachable"
}

/// <summary>A peer named in a PEX message and its flags.</summary>
internal readonly record struct PexPeer(IPEndPoint EndPoint, PexFlags Flags = PexFlags.None);

/// <summary>One ut_pex message (BEP 11): peers the sender connected to and dropped since its previous message.</summary>
/// <remarks>
/// <code>
/// &lt;len&gt;&lt;id=20&gt;&lt;their ut_pex id&gt; d
///   5:added     &lt;6 bytes per IPv4 peer: ip 4, port 2 big-endian&gt;
///   7:added.f   &lt;1 flag byte per IPv4 peer in added&gt;
///   6:added6    &lt;18 bytes per IPv6 peer: ip 16, port 2 big-endian&gt;
///   8:added6.f  &lt;1 flag byte per IPv6 peer in added6&gt;
///   7:dropped   &lt;6 bytes per IPv4 peer&gt;
///   8:dropped6  &lt;18 bytes per IPv6 peer&gt;
/// e
/// </code>
/// The compact formats are the tracker's (BEP 23, BEP 7). Empty lists are omitted when encoding and every key is
/// optional when decoding. A flag string whose length does not match its list is ignored (the peers stay, with no
/// flags): flags are hints.
/// </remarks>
internal sealed record PexMessage
{
    /// <summary>Peers connected since the previous message, IPv4 and IPv6 together.</summary>
    public IReadOnlyList<PexPeer> Added { get; init; } = [];

    /// <summary>Peers dropped since the previous message.</summary>
    public IReadOnlyList<IPEndPoint> Dropped { get; init; } = [];

    /// <summary>True when the message names no peer (never worth sending).</summary>
    public bool IsEmpty => Added.Count == 0 && Dropped.Count == 0;

    /// <summary>The bencoded payload after the extended id.</summary>
    public byte[] Encode()
    {
        var d = new BDictionary();
        foreach (var (family, suffix) in new[] { (AddressFamily.InterNetwork, ""), (AddressFamily.InterNetworkV6, "6") })
        {
            var added = Added.Where(p => p.EndPoint.AddressFamily == family).ToList();
            if (added.Count > 0)
            {
                d.Set("added" + suffix, new BString(CompactPeers.Encode(added.Select(p => p.EndPoint), family)));
                d.Set($"added{suffix}.f", new BString(added.Select(p => (byte)p.Flags).ToArray()));
            }
            var dropped = Dropped.Where(p => p.AddressFamily == family).ToList();
            if (dropped.Count > 0) d.Set("dropped" + suffix, new BString(CompactPeers.Encode(dropped, family)));
        }
        return BencodeWriter.Encode(d);
    }

    /// <summary>Decodes a ut_pex payload.</summary>
    /// <exception cref="ExtensionException">Not a dictionary, or a peer list whose length is not a whole number of entries.</exception>
    public static PexMessage Decode(ReadOnlyMemory<byte> payload)
    {
        var d = ExtensionPayload.Dictionary(payload, "ut_pex");
        var added = new List<PexPeer>();
        var dropped = new List<IPEndPoint>();
        foreach (var (family, suffix) in new[] { (AddressFamily.InterNetwork, ""), (AddressFamily.InterNetworkV6, "6") })
        {
            var peers = Peers(d, "added" + suffix, family);
            var flags = d[$"added{suffix}.f"] is BString f && f.Bytes.Length == peers.Count ? f.Bytes.Span : default;
            for (var i = 0; i < peers.Count; i++) added.Add(new PexPeer(peers[i], flags.IsEmpty ? PexFlags.None : (PexFlags)flags[i]));
            dropped.AddRange(Peers(d, "dropped" + suffix, family));
        }
        return new PexMessage { Added = added, Dropped = dropped };
    }

    private static List<IPEndPoint> Peers(BDictionary d, string key, AddressFamily family)
    {
        if (d[key] is not BString list) return [];
        try
        {
            return CompactPeers.Decode(list.Bytes.Span, family, key);
        }
        catch (TrackerException e)
        {
            throw new ExtensionException($"ut_pex: {e.Message}", e);
        }
    }

    /// <summary>The message as a trace shows it.</summary>
    public override string ToString() => $"ut_pex added={Added.Count} dropped={Dropped.Count}";
}
