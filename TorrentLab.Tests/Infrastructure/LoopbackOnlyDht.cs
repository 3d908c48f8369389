using System.Runtime.CompilerServices;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Makes every DHT node of the test run loopback-only, in this process and in every CLI or lab process it
/// starts: a node then refuses any bootstrap host but a loopback address and never sends elsewhere, so no test can
/// reach the public DHT routers, even by mistake.</summary>
internal static class LoopbackOnlyDht
{
    [ModuleInitializer]
    internal static void Set() => Environment.SetEnvironmentVariable("TORRENTLAB_DHT_LOOPBACK_ONLY", "1");
}
