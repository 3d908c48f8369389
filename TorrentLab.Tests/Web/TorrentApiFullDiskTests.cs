using System.Net;
using System.Net.Http.Json;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>An add while the downloads folder's disk is full answers the storage error, not a 500 "internal error"
/// (issue 53 item 11): the REST API's 507, Transmission's result text, qBittorrent's "Fails.".</summary>
[Trait("Tier", "Slow")]
public class TorrentApiFullDiskTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Add_OnAFullDisk_Is507WithTheStorageError()
    {
        using var folder = new TempFolder("torrentlab-web-full");
        using var disk = Tmpfs.Mount(folder.Combine("disk"), "1m");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => o with { Downloads = disk.Path, Log = log.Enqueue });
        disk.Fill("filler", (int)new DriveInfo(disk.Path).AvailableFreeSpace); // nothing left

        using var response = await web.UploadAsync(web.Swarm.Built.TorrentBytes, start: true, Ct);
        var error = await response.Content.ReadFromJsonAsync<ApiError>(Ct);

        Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
        Assert.StartsWith("no space left on device", error!.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(log, l => l.StartsWith("error:", StringComparison.Ordinal)); // not logged as a bug
    }
}
