using WireMock.Server;
using WireMock.Settings;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>WireMock.Net servers for tests whose point is a canned or faulty HTTP answer (a tracker's, a feed's, a
/// blocklist's, a device description's): bound to 127.0.0.1 and a free port only, never to every interface.</summary>
internal static class StubHttp
{
    /// <summary>A stopped-on-dispose server; its <see cref="WireMockServer.Url"/> is http://127.0.0.1:PORT.</summary>
    public static WireMockServer Start() => WireMockServer.Start(new WireMockServerSettings
    {
        Urls = ["http://127.0.0.1:0"],   // port 0: the kernel picks a free one; the address keeps it on loopback
        StartAdminInterface = false,     // no __admin API: nothing but the test's own mappings answers
    });
}
