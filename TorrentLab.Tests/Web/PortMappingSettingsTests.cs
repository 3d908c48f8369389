using System.Net;
using System.Net.Http.Json;
using TorrentLab.PortMapping;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.Transmission;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary><c>serve --port-mapping</c> (and <c>--no-port-mapping</c>): saved in the server's settings, asked for again at
/// the next start, reported by <c>GET /api/settings</c> and Transmission's <c>port-forwarding-enabled</c>, until turned
/// off. The router is a gateway on 127.0.0.1 (<see cref="FakeNatGateway"/>).</summary>
[Trait("Tier", "Slow")]
[Collection(PortMappingCollection.Name)]
public class PortMappingSettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PortMappingGivenOnce_IsSavedAskedForAgainAndReported_UntilTurnedOff()
    {
        using var gateway = new FakeNatGateway();
        WebServerOptions WithRouter(WebServerOptions o, PortMappingProtocols? protocols) => o with
        {
            PortMapping = protocols,
            ConfigureSession = s => o.ConfigureSession!(s) with
            {
                ConfigurePortMapper = m => m with
                {
                    Gateway = new Gateway(IPAddress.Loopback, IPAddress.Loopback, "lo"),
                    NatPmpPort = gateway.Port,
                },
            },
        };
        await using var web = await WebTestServer.StartAsync(Ct, configure: o => WithRouter(o, PortMappingProtocols.Pcp | PortMappingProtocols.NatPmp));
        await WaitForAsync(() => gateway.PcpMaps.Count >= 2, "the first mappings");
        Assert.Equal(["natpmp", "pcp"], await ProtocolsAsync(web));
        Assert.True(await ForwardingAsync(web));
        Assert.True(web.Server.PortMapping);

        // Not named at the next start: as saved, so the router is asked again.
        var before = gateway.PcpMaps.Count(m => m.Lifetime > 0);
        await web.RestartAsync(Ct, configure: o => WithRouter(o, null));
        await WaitForAsync(() => gateway.PcpMaps.Count(m => m.Lifetime > 0) >= before + 2, "the mappings made again");
        Assert.Equal(["natpmp", "pcp"], await ProtocolsAsync(web));

        // --no-port-mapping: off, and saved off.
        await web.RestartAsync(Ct, configure: o => WithRouter(o, PortMappingProtocols.None));
        var after = gateway.Requests.Count;
        await web.RestartAsync(Ct, configure: o => WithRouter(o, null));
        Assert.Empty(await ProtocolsAsync(web));
        Assert.False(await ForwardingAsync(web));
        Assert.False(web.Server.PortMapping);
        Assert.Equal(after, gateway.Requests.Count); // neither start asked the router anything
    }

    private static async Task<IReadOnlyList<string>> ProtocolsAsync(WebTestServer web) =>
        (await web.Http.GetFromJsonAsync<WebSettings>("/api/settings", Ct))!.PortMapping!;

    private static async Task<bool> ForwardingAsync(WebTestServer web) =>
        (await new RpcClient(web.Http).SucceedAsync("session-get", new { fields = new[] { "port-forwarding-enabled" } }, Ct))
            .GetProperty("port-forwarding-enabled").GetBoolean();

    private static Task WaitForAsync(Func<bool> condition, string what) =>
        Wait.UntilAsync(condition, TimeSpan.FromSeconds(60), $"timed out waiting for {what}", Ct);
}
