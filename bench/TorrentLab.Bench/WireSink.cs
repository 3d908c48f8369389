using System.Diagnostics;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Bench;

/// <summary>The fastest the seeders can send here: one plaintext TCP connection per seeder, each requesting the next
/// blocks of the torrent in order from one shared list, 400 in flight per connection, and throwing the data away (no
/// hashing, no writing, no piece manager). What a real client downloads beyond this rate it could not have got from
/// those seeders on this machine.</summary>
internal static class WireSink
{
    private const int InFlight = 400;

    public static async Task<int> RunAsync(string[] args)
    {
        var seeders = args.Skip(2).Select(a => IPEndPoint.TryParse(a, out var e) ? e : null).ToList();
        if (args.Length < 3 || seeders.Contains(null))
        {
            Console.Error.WriteLine("usage: wire-sink TORRENT SEEDER_IP:PORT [SEEDER_IP:PORT...]");
            return 2;
        }
        var torrent = (await TorrentClient.OpenAsync(args[1])).Torrent;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var blocks = new BlockList(torrent);
        var received = await Task.WhenAll(seeders.Select(s => DrainAsync(s!, torrent, blocks, timeout.Token)));
        clock.Stop();
        var total = received.Sum();
        Console.WriteLine($"{total >> 20} MiB from {seeders.Count} seeder(s) in {clock.Elapsed.TotalSeconds:0.00} s " +
            $"({total / clock.Elapsed.TotalSeconds / (1 << 20):0.0} MiB/s), " +
            $"CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds:0.00} s");
        return total == torrent.TotalLength ? 0 : 1;
    }

    /// <summary>One seeder: requests blocks from the shared list until it is empty, and counts what comes back.</summary>
    private static async Task<long> DrainAsync(IPEndPoint seeder, Torrent torrent, BlockList blocks, CancellationToken ct)
    {
        var options = new PeerConnectionOptions { PieceCount = torrent.PieceCount, Encryption = EncryptionPolicy.Off };
        using var peer = await PeerConnection.ConnectAsync(seeder, torrent.InfoHash, PeerId.CreateOurs(), options, ct);
        await peer.SendAsync(PeerMessage.Interested, ct);
        var batch = new PeerMessage[InFlight];
        long received = 0;
        int outstanding = 0;
        var unchoked = false;
        while (true)
        {
            var message = await peer.ReceiveAsync(ct);
            do
            {
                if (message.Kind == MessageKind.Unchoke) unchoked = true;
                else if (message.Kind == MessageKind.Piece)
                {
                    received += message.Payload.Length;
                    outstanding--;
                }
            } while (peer.TryReceive(out message));
            if (!unchoked || outstanding > InFlight * 3 / 4) continue;
            var count = blocks.Take(batch.AsSpan(0, InFlight - outstanding));
            if (count == 0 && outstanding == 0) return received;
            outstanding += count;
            if (count > 0) await peer.SendAsync(batch.AsMemory(0, count), ct);
        }
    }

    /// <summary>Every block of the torrent in order, handed out once each to whichever connection asks.</summary>
    private sealed class BlockList(Torrent torrent)
    {
        private readonly Lock _lock = new();
        private int _piece, _begin;

        public int Take(Span<PeerMessage> into)
        {
            lock (_lock)
            {
                var count = 0;
                while (count < into.Length && _piece < torrent.PieceCount)
                {
                    var length = torrent.GetPieceLength(_piece);
                    into[count++] = PeerMessage.Request(_piece, _begin, Math.Min(WireLimits.BlockLength, length - _begin));
                    _begin += WireLimits.BlockLength;
                    if (_begin >= length) (_piece, _begin) = (_piece + 1, 0);
                }
                return count;
            }
        }
    }
}
