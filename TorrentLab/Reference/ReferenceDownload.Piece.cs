using TorrentLab.Downloads;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Wire;

namespace TorrentLab.Reference;

internal static partial class ReferenceDownload
{
    /// <summary>Downloads one piece from the swarm and returns its verified bytes (the classroom's
    /// <c>download_piece</c>); nothing is written to disk.</summary>
    /// <exception cref="DownloadFailedException">No peer could deliver the piece.</exception>
    public static async Task<byte[]> DownloadPieceAsync(Torrent torrent, int index, DownloadOptions options, CancellationToken ct = default)
    {
        if ((uint)index >= (uint)torrent.PieceCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"piece index must be 0..{torrent.PieceCount - 1}");
        // Pretend we have every other piece, so the piece manager asks only for this one.
        var have = Bitfield.Full(torrent.PieceCount);
        have.Clear(index);
        var memory = new OnePieceInMemory();
        var pieces = new Pieces.PieceManager(torrent, have, new Pieces.PieceManagerOptions
        {
            MaxRequestsPerPeer = RequestsPerPeer(options),
            Picker = new Pieces.SequentialPicker(),
        });
        var state = new StoryState(torrent, pieces, Bitfield.Full(torrent.PieceCount), System.Diagnostics.Stopwatch.StartNew(), progress: null);
        await DownloadAsync(torrent, options, pieces, memory, state, ct).ConfigureAwait(false);
        var bytes = memory.Bytes ?? throw new DownloadFailedException($"piece {index} was not received");
        return torrent.IsV2Only ? bytes[..V2PieceLength(torrent, index)] : bytes;
    }

    /// <summary>A v2 piece's own length: BEP 52 "the last piece of each file may be shorter", so the gap that aligns the
    /// next file (modelled as padding) is not part of it.</summary>
    private static int V2PieceLength(Torrent torrent, int index)
    {
        var start = (long)index * torrent.PieceLength;
        var file = torrent.Files.First(f => !f.IsPadding && f.Offset <= start && start < f.Offset + f.Length);
        return (int)Math.Min(torrent.PieceLength, file.Offset + file.Length - start);
    }

    /// <summary>The store of the one-piece entry: keeps the verified piece in memory instead of writing a file.</summary>
    private sealed class OnePieceInMemory : IPieceStorage
    {
        public byte[]? Bytes { get; private set; }

        public ValueTask WritePieceAsync(int index, ReadOnlyMemory<byte> data, CancellationToken cancellation = default)
        {
            Bytes = data.ToArray();
            return ValueTask.CompletedTask;
        }

        public ValueTask ReadAsync(int index, int begin, Memory<byte> buffer, CancellationToken cancellation = default) =>
            throw new InvalidOperationException("the one-piece download serves nothing");

        public ValueTask FlushAsync(CancellationToken cancellation = default) => ValueTask.CompletedTask;

        public void Dispose() { }
    }
}
