using System.Net;
using TorrentLab.Downloads;

namespace TorrentLab.Client;

/// <summary>What a torrent's diagnosis is drawn from, kept bounded: each tracker's last answer (at most
/// <see cref="MaxTrackers"/>), the last <see cref="MaxPeers"/> peers tried with what came of each, the DHT's last
/// lookup, and whether our port was reached from outside.</summary>
/// <remarks>Thread-safe; the engine reports here on its own tasks (<see cref="Downloads.ITorrentEvents"/>).</remarks>
internal sealed class DiagnosisMemory(TimeProvider time)
{
    /// <summary>Peers remembered: enough to see a pattern (every dial refused, every peer choking), small enough to
    /// keep for every torrent of a large session.</summary>
    public const int MaxPeers = 32;

    /// <summary>Trackers remembered: a torrent listing more is rare, and the first ones are those asked first.</summary>
    public const int MaxTrackers = 16;

    private const int MaxText = 300; // a reason line, cleaned; a tracker's 1 MB failure reason is not kept whole

    private readonly Lock _lock = new();
    private readonly List<DiagnosisFinding> _trackers = [];
    private readonly LinkedList<DiagnosisFinding> _peers = []; // newest first, one per address
    private DiagnosisFinding? _dht;
    private DiagnosisFinding? _reached;
    private int _dhtLookups, _dhtPeers;

    /// <summary>A tracker's last answer. A text that starts with the URL (a tracker error's message names it) loses it:
    /// the finding's subject is the URL, and a verdict or a line that shows both would say it twice.</summary>
    public void Tracker(string url, FindingKind kind, string text) =>
        Keep(_trackers, new(Clean(url), kind, Clean(text.StartsWith(url + ": ", StringComparison.Ordinal) ? text[(url.Length + 2)..] : text),
            time.GetUtcNow()), MaxTrackers);

    public void Peer(IPEndPoint peer, FindingKind kind, string text)
    {
        var finding = new DiagnosisFinding(Name(peer), kind, Clean(text), time.GetUtcNow());
        lock (_lock)
        {
            for (var node = _peers.First; node is not null; node = node.Next)
                if (node.Value.Subject == finding.Subject)
                {
                    _peers.Remove(node);
                    break;
                }
            _peers.AddFirst(finding);
            if (_peers.Count > MaxPeers) _peers.RemoveLast();
        }
    }

    public void DhtLookup(int found, string? error)
    {
        lock (_lock)
        {
            _dhtLookups++;
            _dhtPeers += found;
            var text = error is not null ? $"lookup failed: {Clean(error)}"
                : $"{_dhtLookups} lookup{(_dhtLookups == 1 ? "" : "s")}, {_dhtPeers} new peer{(_dhtPeers == 1 ? "" : "s")} found ({found} by the last)";
            _dht = new("dht", _dhtPeers > 0 ? FindingKind.Ok : FindingKind.Nothing, text, time.GetUtcNow());
        }
    }

    /// <summary>A peer connected to us (<paramref name="by"/>), or said which address it sees us at (<paramref name="seenAs"/>).</summary>
    public void Reached(IPEndPoint by, IPAddress? seenAs)
    {
        var text = seenAs is null ? $"reachable: {Name(by)} connected to us" : $"{Name(by)} sees us at {seenAs} (yourip, BEP 10)";
        lock (_lock)
        {
            // An incoming connection proves the port; a yourip only that someone sees us: it does not replace the proof.
            if (seenAs is not null && _reached is { } known && known.Text.StartsWith("reachable", StringComparison.Ordinal)) return;
            _reached = new("port", FindingKind.Ok, text, time.GetUtcNow());
        }
    }

    public IReadOnlyList<DiagnosisFinding> Trackers { get { lock (_lock) return [.. _trackers]; } }

    public IReadOnlyList<DiagnosisFinding> Peers { get { lock (_lock) return [.. _peers]; } }

    public DiagnosisFinding? Dht { get { lock (_lock) return _dht; } }

    public DiagnosisFinding? Reachability { get { lock (_lock) return _reached; } }

    private void Keep(List<DiagnosisFinding> list, DiagnosisFinding finding, int max)
    {
        lock (_lock)
        {
            var at = list.FindIndex(f => f.Subject == finding.Subject);
            if (at >= 0) list[at] = finding;
            else if (list.Count < max) list.Add(finding);
        }
    }

    /// <summary>An address as peers lists show it: IPv4-mapped addresses as IPv4.</summary>
    internal static string Name(IPEndPoint peer) =>
        peer.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(peer.Address.MapToIPv4(), peer.Port).ToString() : peer.ToString();

    private static string Clean(string text) => UntrustedText.Clean(text, MaxText);
}
