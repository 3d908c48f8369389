using TorrentLab.Client;
using System.Net;
using System.Security.Cryptography;
using TorrentLab.Downloads;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Reliability;

/// <summary>One of our seeders on 127.0.0.1 with its data in a temp folder, no tracker, and honest downloaders that
/// dial it directly: the target of the seeder-side campaign (floods, load).</summary>
internal sealed class SeederRig : IAsyncDisposable
{
    private SeederRig(TestTorrents.Built built, TempFolder folder, Seeder seeder)
    {
        Built = built;
        Folder = folder;
        Seeder = seeder;
    }

    public TestTorrents.Built Built { get; }
    public TempFolder Folder { get; }
    public Seeder Seeder { get; }

    /// <summary>Loopback-only options with no tracker and short timeouts (a bad connection is closed within a second
    /// or two).</summary>
    public static DownloadOptions Options(string folder) => new()
    {
        Session = new SessionSettings
        {
            ListenPort = 0,
            BindAddresses = [IPAddress.Loopback],
            ConnectTimeout = TimeSpan.FromSeconds(3),
            HandshakeTimeout = TimeSpan.FromSeconds(1),
            IdleTimeout = TimeSpan.FromSeconds(5),
        },
        OutputDirectory = folder,
        Trackers = [],
        RequestTimeout = TimeSpan.FromSeconds(3),
        SnubTimeout = TimeSpan.FromSeconds(5),
        StallTimeout = TimeSpan.FromSeconds(25),
        LedgerInterval = TimeSpan.FromSeconds(1),
    };

    /// <summary>Writes the payload and starts seeding it; <paramref name="configure"/> adjusts the seeder's options.</summary>
    public static async Task<SeederRig> StartAsync(TestTorrents.Built built, CancellationToken ct,
        Func<DownloadOptions, DownloadOptions>? configure = null, bool allowPartial = false)
    {
        var folder = new TempFolder("torrentlab-seeder-rig");
        try
        {
            var data = folder.Combine("seed");
            built.WritePayload(data);
            var options = Options(data);
            var seeder = await Seeder.StartAsync(built.Torrent, configure is null ? options : configure(options), allowPartial, ct);
            return new SeederRig(built, folder, seeder);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>An honest swarm downloader into its own folder <paramref name="name"/>, dialling only the seeder.</summary>
    public Task<DownloadResult> DownloadAsync(string name, CancellationToken ct) =>
        TorrentClient.DownloadAsync(Built.Torrent, Options(Folder.Combine(name)).WithSession(s => s with { HandshakeTimeout = TimeSpan.FromSeconds(3) }) with
        {
            ExtraPeers = [new IPEndPoint(IPAddress.Loopback, Seeder.Port)],
        }, null, ct);

    /// <summary>True when every file below downloader <paramref name="name"/>'s folder has the original bytes.</summary>
    public bool Identical(string name) => Built.Files.All(f =>
    {
        var path = Path.Combine(Folder.Combine(name), f.Path);
        return File.Exists(path) && SHA1.HashData(File.ReadAllBytes(path)).AsSpan().SequenceEqual(SHA1.HashData(f.Data));
    });

    public async ValueTask DisposeAsync()
    {
        await Seeder.DisposeAsync();
        Folder.Dispose();
    }
}
