using System.Diagnostics;
using System.Net;
using TorrentLab.Client;
using TorrentLab.Metainfo;
using TorrentLab.Wire;

namespace TorrentLab.Bench;

/// <summary>The fastest a seeder can send here: one plaintext TCP connection that requests every block in order,
/// 400 in flight, and throws the data away (no hashing, no writing, no piece manager). What a real client downloads
/// beyond this rate it could not have got from that seeder on this machine.</summary>
internal static class WireSink
{
    private const int InFlight = 400;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3 || !IPEndPoint.TryParse(args[2], out var seeder))
        {
            Console.Error.WriteLine("usage: wire-sink TORRENT SEEDER_IP:PORT");
            return 2;
        }
        var torrent = (await TorrentClient.OpenAsync(args[1])).Torrent;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var ct = timeout.Token;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var options = new PeerConnectionOptions { PieceCount = torrent.PieceCount, Encryption = EncryptionPolicy.Off };
        using var peer = await PeerConnection.ConnectAsync(seeder, torrent.InfoHash, PeerId.CreateOurs(), options, ct);
        await peer.SendAsync(PeerMessage.Interested, ct);
        var blocks = Blocks(torrent).GetEnumerator();
        var batch = new PeerMessage[InFlight];
        long received = 0;
        int outstanding = 0;
        var unchoked = false;
        while (received < torrent.TotalLength)
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
            var count = 0;
            while (outstanding + count < InFlight && blocks.MoveNext()) batch[count++] = blocks.Current;
            outstanding += count;
            if (count > 0) await peer.SendAsync(batch.AsMemory(0, count), ct);
        }
        clock.Stop();
        Console.WriteLine($"{received >> 20} MiB in {clock.Elapsed.TotalSeconds:0.00} s ({received / clock.Elapsed.TotalSeconds / (1 << 20):0.0} MiB/s), " +
            $"CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds:0.00} s");
        return 0;
    }

    private static IEnumerable<PeerMessage> Blocks(Torrent torrent)
    {
        for (var index = 0; index < torrent.PieceCount; index++)
        {
            var length = torrent.GetPieceLength(index);
            for (var begin = 0; begin < length; begin += WireLimits.BlockLength)
                yield return PeerMessage.Request(index, begin, Math.Min(WireLimits.BlockLength, length - begin));
        }
    }
}
