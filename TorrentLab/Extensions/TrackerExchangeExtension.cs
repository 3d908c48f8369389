using System.Runtime.CompilerServices;
using TorrentLab.Bencode;

namespace TorrentLab.Extensions;

/// <summary>BEP 28 <c>lt_tex</c>, tracker exchange: each side tells the other the trackers it knows work, so that a
/// peer that joined through the DHT or a poorly attended tracker learns of better ones. We tell each peer that offers it
/// the torrent's own trackers once; what a peer tells us is logged (each tracker once, at most <see cref="MaxTrackers"/>
/// of a peer), not announced to.</summary>
/// <remarks>
/// <code>
/// &lt;len&gt;&lt;id=20&gt;&lt;extended id&gt;d5:addedl&lt;url&gt;&lt;url&gt;...ee
/// </code>
/// <para>BEP 28: "A verified tracker is a tracker that either was in the .torrent file that was loaded ... or a tracker
/// that we have received over the TEX protocol and received a successful response from." We send only the first kind,
/// so we never pass on a tracker we did not choose. We do not announce to a tracker a peer names: any peer could then
/// make a daemon send requests to an address of its choosing (its own network's, say); BEP 28 says such trackers
/// "SHOULD be treated with a certain amount of suspicion". The handshake's <c>tr</c> hash (of the sorted list) is not
/// sent: a peer without it sends its whole list, as BEP 28 asks of peers whose lists differ.</para>
/// <para>BEP 27: a private torrent's trackers are its own, so a private torrent does not offer it.</para>
/// </remarks>
internal sealed class TrackerExchangeExtension : IExtension
{
    /// <summary>At most this many trackers are read from one message, and logged of one peer in all; the rest is ignored.</summary>
    public const int MaxTrackers = 20;

    /// <summary>A longer string is not a tracker URL worth a log line.</summary>
    public const int MaxUrlLength = 512;

    private static readonly object Told = new();
    private readonly ConditionalWeakTable<IExtensionPeer, object> _told = []; // the peers told our list, once each
    private readonly ConditionalWeakTable<IExtensionPeer, HashSet<string>> _heard = []; // the trackers logged of each peer

    /// <inheritdoc/>
    public string Name => "lt_tex";

    /// <inheritdoc/>
    public byte Id => 7;

    /// <inheritdoc/>
    public bool OnPrivateTorrents => false;

    /// <summary>The payload that tells a peer the trackers of <paramref name="added"/>.</summary>
    public static byte[] Encode(IEnumerable<string> added)
    {
        var d = new BDictionary();
        d.Set("added", new BList([.. added.Select(url => new BString(url))]));
        return BencodeWriter.Encode(d);
    }

    /// <summary>The tracker URLs of an <c>lt_tex</c> payload that look like trackers (http, https or udp, printable,
    /// at most <see cref="MaxUrlLength"/> characters), at most <see cref="MaxTrackers"/>; entries that are not are
    /// skipped.</summary>
    /// <exception cref="ExtensionException">Not a bencoded dictionary, or <c>added</c> is not a list.</exception>
    public static IReadOnlyList<string> Decode(ReadOnlyMemory<byte> payload)
    {
        var d = ExtensionPayload.Dictionary(payload, "lt_tex");
        if (d["added"] is null) return [];
        if (d["added"] is not BList added) throw new ExtensionException("lt_tex: 'added' is not a list");
        return [.. added.Items.OfType<BString>().Where(s => s.Bytes.Length <= MaxUrlLength).Select(s => s.Text).Where(LooksLikeTracker)
            .Distinct(StringComparer.Ordinal).Take(MaxTrackers)];
    }

    private static bool LooksLikeTracker(string url) =>
        !url.Any(char.IsControl) && !url.Any(char.IsWhiteSpace) && Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https" or "udp" && uri.Host.Length > 0;

    /// <inheritdoc/>
    public void OnHandshake(IExtensionPeer peer, ExtensionHandshake theirs)
    {
        if (peer.IsPrivate || theirs.Messages?.GetValueOrDefault(Name) is null or 0) return;
        var ours = peer.Torrent.TrackerTiers.SelectMany(tier => tier).Distinct(StringComparer.Ordinal).ToList();
        if (ours.Count == 0 || !_told.TryAdd(peer, Told)) return; // a later handshake (upload_only) tells nothing new
        peer.Answer(this, Encode(ours));
    }

    /// <inheritdoc/>
    /// <exception cref="ExtensionException">Not a bencoded dictionary with a list under <c>added</c>.</exception>
    public void Receive(IExtensionPeer peer, ReadOnlyMemory<byte> payload)
    {
        var ours = peer.Torrent.TrackerTiers.SelectMany(tier => tier).ToHashSet(StringComparer.Ordinal);
        var heard = _heard.GetOrCreateValue(peer);
        List<string> theirs;
        lock (heard) theirs = [.. Decode(payload).Where(url => !ours.Contains(url) && heard.Count < MaxTrackers && heard.Add(url))];
        if (theirs.Count > 0) peer.Log($"uses trackers we do not (lt_tex, BEP 28; not announced to): {string.Join(", ", theirs)}");
    }
}
