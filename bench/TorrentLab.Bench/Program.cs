using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using TorrentLab.Bench;

// utp-loopback [MiB] [packet size]: pushes bytes over uTP between two of our sockets and prints MiB/s and CPU s.
if (args.FirstOrDefault() == "utp-loopback") return await UtpLoopback.RunAsync(args);
// download-allocations TORRENT OUT [max-peers]: a real download in this process; prints allocations and collections.
if (args.FirstOrDefault() == "download-allocations") return await DownloadAllocations.RunAsync(args);
// session-idle TORRENTS DATA [seconds]: seeds every torrent of a folder in one session; prints the cost per idle torrent.
if (args.FirstOrDefault() == "session-idle") return await SessionIdle.RunAsync(args);
// wire-sink TORRENT SEEDER...: requests every block from the seeders and discards it; prints MiB/s (their ceiling).
if (args.FirstOrDefault() == "wire-sink") return await WireSink.RunAsync(args);
// limited-download TORRENT OUT RATE SEEDER...: rate reached under a download limit over 10 s, payload received vs size.
if (args.FirstOrDefault() == "limited-download") return await LimitedDownload.RunAsync(args);
// blocklist [ranges]: a P2P list of 500,000 ranges read as text and gzip; prints load time, memory held, lookup time.
if (args.FirstOrDefault() == "blocklist") return BlocklistScale.Run(args);

// --quick: one short in-process job (a minute or two on 2 cores); without it, BenchmarkDotNet's defaults.
var quick = args.Contains("--quick");
var config = DefaultConfig.Instance.AddColumn(new ThroughputColumn());
if (quick)
    config = config.AddJob(Job.ShortRun.WithWarmupCount(2).WithIterationCount(5).WithLaunchCount(1)
        .WithToolchain(InProcessEmitToolchain.Instance).WithId("quick"));
BenchmarkSwitcher.FromAssembly(typeof(BencodeBenchmarks).Assembly).Run(args.Where(a => a != "--quick").ToArray(), config);
return 0;
