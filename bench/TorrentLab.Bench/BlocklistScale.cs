using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text;
using TorrentLab.Tracker;

namespace TorrentLab.Bench;

/// <summary>A blocklist the size of the largest public ones: N ranges (500,000 by default) in the P2P format, random
/// and partly overlapping, read from memory as text and as gzip; prints the load time, the managed memory the list
/// holds (and per range), and the time of a lookup over random addresses. A figure, not a test.</summary>
internal static class BlocklistScale
{
    public static int Run(string[] args)
    {
        var count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 500_000;
        var (text, v4, v6) = MakeList(count, seed: 52);
        var gzip = Gzip(text);
        Console.WriteLine($"list: {count:N0} lines ({v4:N0} IPv4, {v6:N0} IPv6), {text.Length / 1048576.0:0.0} MiB as text, {gzip.Length / 1048576.0:0.0} MiB gzipped");

        // Warm-up: the JIT compiles the reader once before anything is timed.
        new IpBlocklist().Load(new MemoryStream(text));
        foreach (var (name, bytes) in new[] { ("text", text), ("gzip", gzip) })
        {
            var times = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                new IpBlocklist().Load(new MemoryStream(bytes));
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine($"load from {name}: {times.Order().ElementAt(1):0} ms (median of 3; {string.Join(", ", times.Select(t => t.ToString("0")))})");
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var list = new IpBlocklist();
        var read = list.Load(new MemoryStream(text));
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var held = GC.GetTotalMemory(forceFullCollection: true) - before;
        Console.WriteLine($"held: {read}; {held / 1048576.0:0.00} MiB managed, {(double)held / read.Ranges:0.0} bytes per range");

        // Lookups over random addresses (IPv4 and IPv6 in the list's proportion), a million of each, twice (the first
        // warms up).
        var random = new Random(7);
        var addresses = Enumerable.Range(0, 1 << 16).Select(i => i % 10 < 9
            ? new IPAddress(random.NextInt64(1L << 32))
            : new IPAddress([0x20, 0x01, 0x0d, 0xb8, .. Bytes(random, 12)])).ToArray();
        var hits = 0;
        double perLookup = 0;
        for (var round = 0; round < 2; round++)
        {
            hits = 0;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 2_000_000; i++) if (list.Contains(addresses[i & 0xffff])) hits++;
            perLookup = clock.Elapsed.TotalNanoseconds / 2_000_000;
        }
        Console.WriteLine($"lookup: {perLookup:0} ns per address (2,000,000 lookups, {hits:N0} inside a range)");
        GC.KeepAlive(list);
        return 0;
    }

    private static byte[] Bytes(Random random, int n)
    {
        var bytes = new byte[n];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Lines of P2P text: 90 % IPv4 ranges of 1 to 4,096 addresses anywhere, 10 % IPv6 ranges in 2001:db8::/32.</summary>
    private static (byte[] Text, int V4, int V6) MakeList(int count, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(count * 40);
        int v4 = 0, v6 = 0;
        for (var i = 0; i < count; i++)
        {
            if (i % 10 < 9)
            {
                var first = (uint)random.NextInt64(1L << 32);
                var last = (uint)Math.Min(uint.MaxValue, first + (ulong)random.Next(4096));
                text.Append("Organization ").Append(i).Append(':').Append(V4(first)).Append('-').Append(V4(last)).Append('\n');
                v4++;
            }
            else
            {
                var first = new IPAddress([0x20, 0x01, 0x0d, 0xb8, .. Bytes(random, 12)]);
                var last = first.GetAddressBytes();
                last[15] = 0xff;
                last[14] = 0xff;
                text.Append("Network ").Append(i).Append(':').Append(first).Append('-').Append(new IPAddress(last)).Append('\n');
                v6++;
            }
        }
        return (Encoding.ASCII.GetBytes(text.ToString()), v4, v6);
    }

    private static string V4(uint address) => $"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}";

    private static byte[] Gzip(byte[] text)
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(text);
        return packed.ToArray();
    }
}
