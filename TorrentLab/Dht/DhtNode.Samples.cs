using System.Net;
using TorrentLab.Metainfo;

namespace TorrentLab.Dht;

/// <summary>A BEP 51 answer: a sample of the info hashes a node stores peers for, how many it stores in all, how long
/// until its sample changes, and nodes close to the target asked about (to walk the DHT with).</summary>
public sealed record InfohashSample(IReadOnlyList<InfoHash> Samples, long Num, TimeSpan Interval, IReadOnlyList<NodeContact> Nodes);

public sealed partial class DhtNode
{
    /// <summary>Info hashes per BEP 51 answer: 20 are 400 bytes, so with 8 nodes the answer stays near 650 bytes.</summary>
    public const int MaxSamples = 20;

    /// <summary>How long one sample is given out before a new one is drawn (BEP 51 "interval", at most 6 hours):
    /// a crawler asking again sooner learns nothing new.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMinutes(5);

    private readonly Lock _sampleLock = new();
    private (DateTimeOffset DrawnAt, List<NodeId> Hashes)? _sample;

    /// <summary>BEP 51 sample_infohashes, served: "samples", "num", "interval" and the closest nodes to the target.</summary>
    private KrpcResponse AnswerSample(KrpcQuery query)
    {
        var now = _options.Clock.GetUtcNow();
        List<NodeId> hashes;
        lock (_sampleLock)
        {
            if (_sample is not { } sample || now - sample.DrawnAt >= SampleInterval) _sample = sample = (now, _peers.SampleInfoHashes(MaxSamples));
            hashes = sample.Hashes;
        }
        return new KrpcResponse(query.TransactionId, Id)
        {
            Samples = hashes, Num = _peers.TorrentCount, Interval = (long)SampleInterval.TotalSeconds, Nodes = ClosestFor(query.Target!.Value),
        };
    }

    /// <summary>Asks <paramref name="node"/> for a sample of the info hashes it stores (BEP 51 sample_infohashes);
    /// <paramref name="target"/> chooses which of its nodes it returns (a random one when null).</summary>
    /// <exception cref="DhtException">No answer in time, an error answer (204 from a node without BEP 51), or an answer
    /// without "samples" or "num".</exception>
    public async Task<InfohashSample> SampleInfohashesAsync(IPEndPoint node, NodeId? target = null, CancellationToken ct = default)
    {
        var query = new KrpcQuery([], KrpcMethods.SampleInfohashes, Id) { Target = target ?? NodeId.Random() };
        var response = await QueryAsync(node, query, ct).ConfigureAwait(false);
        if (response.Num is not { } num) throw new DhtException($"{node} answered sample_infohashes without 'num'");
        // BEP 51: "interval ... 0 to 21600 seconds"; a value outside is clamped rather than trusted.
        var interval = TimeSpan.FromSeconds(Math.Clamp(response.Interval ?? 0, 0, 21_600));
        return new InfohashSample([.. response.Samples.Select(h => new InfoHash(h.Bytes))], num, interval, response.Nodes);
    }
}
