using System.Net;
using TorrentLab.Metainfo;
using TorrentLab.Session;
using TorrentLab.Swarm;

// swarmget <file.torrent> <output-dir> [host:port ...]: downloads with SwarmDownload on loopback and prints one line:
// bytes, seconds, MiB/s, managed bytes allocated.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: swarmget <file.torrent> <output-dir> [127.0.0.1:port ...]");
    return 2;
}
var torrent = Torrent.Load(args[0]);
var options = new DownloadOptions
{
    OutputDirectory = args[1],
    Resume = false,
    ListenPort = 0,
    BindAddress = IPAddress.Loopback,
    ExtraPeers = [.. args.Skip(2).Select(IPEndPoint.Parse)],
    Log = Environment.GetEnvironmentVariable("SWARMGET_VERBOSE") == "1" ? Console.Error.WriteLine : null,
};
var result = await SwarmDownload.RunAsync(torrent, options, null, CancellationToken.None);
var seconds = result.Elapsed.TotalSeconds;
Console.WriteLine($"downloaded {result.Downloaded} bytes in {seconds:0.000} s = {result.Downloaded / seconds / (1 << 20):0.0} MiB/s; " +
                  $"peers used {result.PeersUsed.Count}; allocated {GC.GetTotalAllocatedBytes() / (1 << 20)} MiB managed");
return 0;
