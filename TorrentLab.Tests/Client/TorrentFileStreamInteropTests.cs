using System.Collections.Concurrent;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Client;

/// <summary>A stream of a 200 MiB file from a capped python3-libtorrent seeder: reading its last megabyte fetches the
/// pieces under it first (<see cref="TorrentHandle.OpenReadAsync"/>'s readahead), long before the download completes.
/// What is asserted is the order pieces were verified in, not a time.</summary>
[Trait("Tier", "Slow")]
public class TorrentFileStreamInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task ReadLastMegabyte_LargeFileFromACappedLibtorrentSeeder_FetchesItsPiecesFirst()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder("torrentlab-stream-lt");
        // 200 MiB in 800 pieces of 256 KiB: the last megabyte is the last 4 pieces. (The seeder trusts its data in seed
        // mode, hashing each piece as it first sends it, so it is ready at once; 800 pieces leave the order no room for
        // luck: without readahead the last 4 would be among the first 16 verified with odds below 1 in 10^8.)
        const int length = 200 << 20, pieceLength = 256 << 10, tail = 1 << 20;
        var built = TestTorrents.SingleFile(length: length, pieceLength: pieceLength, name: "large.bin", announce: null, seed: 91);
        var torrentPath = built.WriteTorrent(folder.Path);
        built.WritePayload(folder.Combine("seed"));
        // 2 MiB/s: the whole file would take 100 s; the last megabyte needs only its own 4 pieces.
        using var seeder = await LibtorrentSeeder.StartAsync(python, torrentPath, folder.Combine("seed"), folder.Path, Ct, uploadLimit: 2 << 20,
            settings: LibtorrentSeeder.SeedMode);
        await using var session = TorrentSession.Start(TorrentSessionTests.Loopback());
        var finished = new ConcurrentQueue<int>();
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var alert in session.Alerts.ReadAllAsync(stopReading.Token))
                    if (alert.Kind == TorrentAlertKind.PieceFinished) finished.Enqueue(alert.Index!.Value);
            }
            catch (OperationCanceledException) { }
        }, Ct);
        var handle = session.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"),
            ExtraPeers = [new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, seeder.Port)],
        }, start: false);

        await using var stream = await handle.OpenReadAsync(0, Ct);
        stream.Seek(-tail, SeekOrigin.End);
        handle.Start();
        var read = new byte[tail];
        await stream.ReadExactlyAsync(read, Ct).AsTask().WaitAsync(Patience, Ct);
        var doneAtRead = handle.PiecesDone;
        // The alerts are read on their own task: the last pieces' may still be on the way when the read returns.
        int[] last = [796, 797, 798, 799];
        await Wait.UntilAsync(() => last.All(finished.Contains), Patience, Ct);
        await stopReading.CancelAsync();
        await reader;

        Assert.Equal(built.Payload.AsSpan(length - tail).ToArray(), read);
        var order = finished.ToArray();
        foreach (var piece in last)
        {
            var rank = Array.IndexOf(order, piece);
            Assert.True(rank is >= 0 and < 16, $"piece {piece} was verified {(rank < 0 ? "never" : $"as number {rank + 1}")}; order: {string.Join(",", order.Take(40))}");
        }
        Assert.True(doneAtRead < built.Torrent.PieceCount / 2,
            $"{doneAtRead} of {built.Torrent.PieceCount} pieces were verified when the last megabyte was read: not long before the end");
    }
}
