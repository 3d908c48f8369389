using TorrentLab.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Swarm;

/// <summary>One web seed (BEP 19) as a block source beside the peers: it asks the piece manager for blocks like a peer
/// that never chokes, fetches them with HTTP range requests (<see cref="WebSeedSource"/>), and hands them back to be
/// checked by the piece hash like a peer's. A failure (HTTP error, short body, a piece failing its hash) puts its
/// blocks back for others and backs it off: 2 s, doubling up to 2 minutes, reset by a success.</summary>
internal sealed class WebSeed : IBlockSource, IDisposable
{
    /// <summary>Blocks asked for per round: 1 MiB, a few range requests.</summary>
    private const int BlocksPerRound = 64;

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromMinutes(2);

    /// <summary>With nothing to ask for now (every missing block is out with peers), look again after this long.</summary>
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);

    private readonly TorrentSwarm _swarm;
    private readonly WebSeedSource _source;
    private readonly BlockRequest[] _fill = new BlockRequest[BlocksPerRound];
    private TimeSpan _backoff = TimeSpan.Zero;
    private volatile string? _failure; // set when a piece it sent failed its hash

    public WebSeed(TorrentSwarm swarm, string url, WebSeedSource source)
    {
        _swarm = swarm;
        _source = source;
        Name = url;
    }

    /// <summary>The URL from <c>url-list</c>.</summary>
    public string Name { get; }

    /// <summary>Payload bytes it delivered.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);
    private long _delivered;

    /// <summary>Why it is no longer used (a server that ignores Range), or null.</summary>
    public string? Dropped { get; private set; }

    public override string ToString() => $"web seed {Name}";

    /// <summary>A piece it contributed to failed its hash: it backs off after the current round.</summary>
    public void OnBadPiece(int index) => _failure ??= $"piece {index} failed its hash check";

    /// <summary>Fetches blocks until the download completes or <paramref name="ct"/> fires; never throws for server failures.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var pieces = _swarm.Pieces;
        pieces.AddPeer(this, Bitfield.Full(pieces.PieceCount)); // BEP 19: "a permanently unchoked seed"
        try
        {
            while (!ct.IsCancellationRequested && _swarm.Downloading)
            {
                var want = BlocksPerRound;
                var limit = _swarm.DownloadLimit is { IsLimited: true } l ? l : null;
                if (limit is not null && (want = limit.TryTake(want, WireLimits.BlockLength)) == 0)
                {
                    await limit.WaitAsync(ct).ConfigureAwait(false);
                    continue;
                }
                var count = pieces.FillRequests(this, _fill.AsSpan(0, want));
                limit?.Refund((long)(want - count) * WireLimits.BlockLength);
                if (count == 0)
                {
                    await Task.Delay(IdlePoll, _swarm.Time, ct).ConfigureAwait(false);
                    continue;
                }
                var failure = await FetchAsync(_fill.AsMemory(0, count), ct).ConfigureAwait(false) ?? _failure;
                if (_source.RangesIgnored is { } why)
                {
                    // Each range would cost the file from its start again: its blocks go to the other sources for good.
                    Dropped = why;
                    pieces.ReleaseBlocks(this);
                    _swarm.Log($"{this} dropped: {why}");
                    return;
                }
                if (failure is null)
                {
                    _backoff = TimeSpan.Zero;
                    continue;
                }
                pieces.ReleaseBlocks(this); // whatever it still holds goes to the peers
                _failure = null;
                _backoff = _backoff == TimeSpan.Zero ? FirstBackoff : _backoff * 2 > MaxBackoff ? MaxBackoff : _backoff * 2;
                _swarm.Log($"{this}: {failure}; backing off {_backoff.TotalSeconds:0} s");
                await Task.Delay(_backoff, _swarm.Time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        finally
        {
            pieces.RemovePeer(this);
        }
    }

    /// <summary>Fetches the blocks, one range request per run of adjacent bytes within a file, and hands each block
    /// over as it is complete; returns why it stopped early, or null.</summary>
    private async Task<string?> FetchAsync(Memory<BlockRequest> blocks, CancellationToken ct)
    {
        blocks.Span.Sort((a, b) => a.Index != b.Index ? a.Index.CompareTo(b.Index) : a.Begin.CompareTo(b.Begin));
        var torrent = _swarm.Torrent;
        var first = 0;
        while (first < blocks.Length)
        {
            // A run: blocks that follow each other in the torrent's byte stream.
            var last = first;
            while (last + 1 < blocks.Length && Offset(blocks.Span[last + 1]) == Offset(blocks.Span[last]) + blocks.Span[last].Length) last++;
            var start = Offset(blocks.Span[first]);
            var length = (int)(Offset(blocks.Span[last]) + blocks.Span[last].Length - start);
            var data = new byte[length];
            try
            {
                await ReadRangeAsync(torrent, start, data, ct).ConfigureAwait(false);
            }
            catch (SwarmException e) { return e.Message; }
            catch (HttpRequestException e) { return (e.InnerException as SwarmException)?.Message ?? $"cannot reach the server ({e.Message})"; }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return "no answer in time"; }
            catch (IOException e) { return $"the connection failed ({e.Message})"; }
            for (var i = first; i <= last; i++)
            {
                var block = blocks.Span[i];
                var slice = data.AsMemory((int)(Offset(block) - start), block.Length);
                var result = _swarm.Pieces.OnBlockReceived(this, block.Index, block.Begin, slice.Span);
                if (result.Kind is BlockResultKind.Accepted or BlockResultKind.PieceVerified) Interlocked.Add(ref _delivered, block.Length);
                await _swarm.OnWebSeedBlockAsync(this, result, block, ct).ConfigureAwait(false);
            }
            if (_failure is { } bad) return bad;
            if (_source.RangesIgnored is not null) return null;   // the caller drops it: no second whole file for the next run
            first = last + 1;
        }
        return null;

        long Offset(BlockRequest b) => (long)b.Index * torrent.PieceLength + b.Begin;
    }

    /// <summary>Fills <paramref name="into"/> with the torrent's bytes from <paramref name="start"/>: one range per file
    /// it spans; pad files (BEP 47) are zeros and never asked for.</summary>
    private async Task ReadRangeAsync(Metainfo.Torrent torrent, long start, byte[] into, CancellationToken ct)
    {
        var end = start + into.Length;
        foreach (var file in torrent.Files)
        {
            var from = Math.Max(start, file.Offset);
            var to = Math.Min(end, file.Offset + file.Length);
            if (from >= to) continue;
            var slice = into.AsMemory((int)(from - start), (int)(to - from));
            if (file.IsPadding) slice.Span.Clear();
            else await _source.ReadAsync(file, from - file.Offset, slice, ct).ConfigureAwait(false);
        }
    }

    public void Dispose() => _source.Dispose();
}
