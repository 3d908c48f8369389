using System.Net;
using System.Runtime.InteropServices;
using TorrentLab.Metainfo;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tracker.Host;

/// <summary><c>torrentlab-tracker [--host 127.0.0.1] [--port 6969] [--interval 1800] [--peer-timeout S] [--max-torrents-per-address N] [--allow FILE]... [--full-scrape] [--quiet]</c>:
/// the tracker of <c>torrentlab tracker</c>, alone in a small native executable, until SIGINT or SIGTERM.</summary>
/// <remarks>The same options and output as <c>torrentlab tracker</c>; the arguments are read by hand, as a command-line
/// library would double the executable for five options.</remarks>
internal static class TrackerHost
{
    private const int Ok = 0, Usage = 2, BadInput = 3, Io = 4; // the CLI's exit codes for the same outcomes

    private const string Help = """
        torrentlab-tracker: a BitTorrent tracker (HTTP /announce and /scrape, UDP BEP 15) until Ctrl-C or SIGTERM.
          --host ADDRESS   address to listen on (default 127.0.0.1)
          --port N         port for HTTP and UDP, 0 picks a free one (default 6969)
          --interval S     announce interval in seconds sent to clients (default 1800)
          --peer-timeout S seconds a peer that stops announcing stays listed, at least --interval
                           (default: the longer of 2 x --interval and 2700)
          --max-torrents-per-address N
                           most torrents one address (an IPv6 /64) may start, torrents held
                           because it announced them first; past it a new one is refused
                           (default 10000)
          --allow FILE     track only this torrent (repeat for several)
          --full-scrape    answer /scrape without info_hash (the 1,000 torrents with most peers)
          --quiet          print no line per announce, scrape or rejected request
        """;

    /// <summary>The executable: <see cref="RunAsync(string[], TextWriter, TextWriter, CancellationToken)"/> on the
    /// console until SIGINT or SIGTERM.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return await RunAsync(args, Console.Out, Console.Error, stop.Token).ConfigureAwait(false);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // stop here, orderly, rather than by the default action
            stop.Cancel();
        }
    }

    /// <summary>Reads <paramref name="args"/> and runs the tracker until <paramref name="stop"/>, its lines to
    /// <paramref name="output"/> and its errors to <paramref name="error"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken stop)
    {
        TrackerServerOptions options;
        try
        {
            if (args is ["--help" or "-h"])
            {
                output.WriteLine(Help);
                return Ok;
            }
            options = Parse(args, output);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine(Help);
            return Usage;
        }
        catch (Exception e) when (e is TorrentLabException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return BadInput;
        }

        TrackerServer server;
        try
        {
            server = await TrackerServer.StartAsync(options, stop).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            error.WriteLine($"error: {e.Message}");
            return Io;
        }
        await using (server.ConfigureAwait(false))
        {
            output.WriteLine($"tracker listening on {server.HttpAnnounceUrl} and {server.UdpAnnounceUrl}" +
                (options.AllowedInfoHashes is { } allowed ? $" ({allowed.Count} torrent(s) allowed)" : ""));
            try
            {
                await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                output.WriteLine("tracker stopped");
            }
        }
        return Ok;
    }

    /// <exception cref="ArgumentException">An unknown option or a value out of range, in words.</exception>
    private static TrackerServerOptions Parse(string[] args, TextWriter output)
    {
        var host = IPAddress.Loopback;
        int port = 6969, interval = 1800;
        int? peerTimeout = null;
        var maxTorrentsPerAddress = new TrackerServerOptions().MaxTorrentsPerAddress;
        var quiet = false;
        var fullScrape = false;
        HashSet<InfoHash>? allowed = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--host":
                    host = IPAddress.TryParse(Value(args, ref i), out var address) ? address
                        : throw new ArgumentException($"--host must be an IP address, got '{args[i]}'");
                    break;
                case "--port":
                    port = Number(args, ref i, 0, 65535);
                    break;
                case "--interval":
                    interval = Number(args, ref i, 1, int.MaxValue);
                    break;
                case "--peer-timeout":
                    peerTimeout = Number(args, ref i, 1, int.MaxValue);
                    break;
                case "--max-torrents-per-address":
                    maxTorrentsPerAddress = Number(args, ref i, 1, int.MaxValue);
                    break;
                case "--allow":
                    (allowed ??= []).Add(Torrent.Load(Value(args, ref i)).InfoHash);
                    break;
                case "--full-scrape":
                    fullScrape = true;
                    break;
                case "--quiet":
                    quiet = true;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }
        if (peerTimeout < interval)
            throw new ArgumentException($"--peer-timeout must be at least --interval ({interval} s), or peers are forgotten before they announce again; got {peerTimeout}");
        return new TrackerServerOptions
        {
            Host = host,
            Port = port,
            Interval = TimeSpan.FromSeconds(interval),
            PeerTimeout = peerTimeout is { } kept ? TimeSpan.FromSeconds(kept) : null,
            MaxTorrentsPerAddress = maxTorrentsPerAddress,
            AllowedInfoHashes = allowed,
            FullScrape = fullScrape,
            Log = quiet ? null : output.WriteLine,
        };
    }

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static int Number(string[] args, ref int i, int min, int max)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return int.TryParse(text, out var value) && value >= min && value <= max ? value
            : throw new ArgumentException($"{name} must be between {min} and {max}, got '{text}'");
    }
}
