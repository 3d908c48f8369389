using System.Diagnostics;
using System.Net;
using TorrentLab.Utp;

namespace TorrentLab.Bench;

/// <summary>Pushes bytes over one uTP connection between two of our sockets on 127.0.0.1 and prints the rate and the CPU
/// time the process used (both ends run in it). A figure, not a test.</summary>
internal static class UtpLoopback
{
    public static async Task<int> RunAsync(string[] args)
    {
        var mebibytes = args.Length > 1 && int.TryParse(args[1], out var m) ? m : 256;
        var packetSize = args.Length > 2 && int.TryParse(args[2], out var p) ? p : new UtpOptions().MaxPacketSize;
        var options = new UtpOptions { MaxPacketSize = packetSize };
        await using var server = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), options);
        await using var client = UtpSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), options);
        server.Listen();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var ct = timeout.Token;
        var accepting = server.AcceptAsync(ct).AsTask();
        await using var sender = await client.ConnectAsync(server.LocalEndPoint, ct);
        await using var receiver = await accepting;

        var chunk = new byte[256 * 1024];
        new Random(29).NextBytes(chunk);
        long total = (long)mebibytes << 20;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var collectionsBefore = GC.CollectionCount(0);
        var clock = Stopwatch.StartNew();
        var sending = Task.Run(async () =>
        {
            for (long sent = 0; sent < total; sent += chunk.Length) await sender.WriteAsync(chunk, ct);
        }, ct);
        var buffer = new byte[256 * 1024];
        long received = 0;
        while (received < total)
        {
            var read = await receiver.ReadAsync(buffer, ct);
            if (read == 0) throw new InvalidOperationException($"the stream ended after {received} bytes");
            received += read;
        }
        await sending;
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var connection = sender.Connection;
        var packets = total / (packetSize - 20);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Console.WriteLine($"uTP loopback: {mebibytes} MiB in {seconds:0.00} s = {mebibytes / seconds:0.0} MiB/s; " +
                          $"CPU {cpu:0.00} s (both ends); packet {packetSize} bytes; rtt {connection.Rtt.Rtt:0.00} ms; " +
                          $"window {connection.Congestion.MaxWindow / 1024:0} KiB; our_delay {connection.Congestion.OurDelay / 1000.0:0.0} ms; " +
                          $"allocated {allocated / packets} bytes per data packet, {GC.CollectionCount(0) - collectionsBefore} gen-0 GCs");
        return 0;
    }
}
