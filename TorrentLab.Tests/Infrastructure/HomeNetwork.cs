using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A home network behind a NAT router that speaks UPnP IGD, NAT-PMP and PCP (miniupnpd), in namespaces the
/// test creates: a "home" host, the "router" that masquerades it, and an "outside" host standing for the internet.</summary>
/// <remarks>
/// <code>
///   home 10.71.1.2 (and .3) --- 10.71.1.1 router 10.72.1.1 --- 10.72.1.2 outside
///                              (nftables: masquerade out,     (a tracker, a libtorrent peer)
///                               miniupnpd's DNAT rules in)
/// </code>
/// The three namespaces are linked only to each other (no veth to the machine's own namespace, no route out), so no
/// packet of the test can leave them, SSDP's multicast included. Debian's miniupnpd 2.3.1 is built with the nftables
/// backend (<c>miniupnpd --version</c>: "using netfilter(nftables) backend") and ships no script that makes its chains:
/// the router's ruleset is one <c>inet filter</c> table holding the <c>miniupnpd</c> chain (jumped to from a
/// <c>forward</c> chain whose policy is drop: only what the router maps, and answers to what left, come in) and the
/// <c>prerouting_miniupnpd</c> and <c>postrouting_miniupnpd</c> chains (jumped to from the nat hooks, in the same table:
/// in another one every mapping fails). Home may reach the outside only on the tracker's port, so a download by the
/// outside peer must come in through a mapping. miniupnpd refuses to map while its external address is private or
/// reserved ("private/reserved address ... is not suitable for external IP"), and 2.3.1 has no option to allow it: the
/// router's outside interface has a private address, and <c>ext_ip</c> names <see cref="ExternalLabel"/>, an ordinary
/// address that is only a name here (what the router reports as its external address; no interface holds it and no
/// packet is sent to it).</remarks>
public sealed class HomeNetwork : IDisposable
{
    public const string HomeAddress = "10.71.1.2";
    public const string NeighbourAddress = "10.71.1.3";
    public const string RouterInside = "10.71.1.1";
    public const string RouterOutside = "10.72.1.1";
    public const string OutsideAddress = "10.72.1.2";

    /// <summary>The external address the router reports (its <c>ext_ip</c>): a name only, see the remarks.</summary>
    public const string ExternalLabel = "1.2.3.4";

    /// <summary>The outside's tracker port, the only port home may reach out there by itself.</summary>
    public const int TrackerPort = 7000;

    private readonly NetNamespaces _nets;
    private readonly TempFolder _folder = new("torrentlab-home");
    private Process? _router;
    private readonly ConcurrentQueue<string> _routerLog = new();

    private HomeNetwork(NetNamespaces nets, string home, string router, string outside, string insideLink, string outsideLink)
    {
        _nets = nets;
        (Home, Router, Outside, InsideLink, OutsideLink) = (home, router, outside, insideLink, outsideLink);
    }

    public string Home { get; }
    public string Router { get; }
    public string Outside { get; }

    /// <summary>The router's interfaces: toward home (miniupnpd's <c>listening_ip</c>) and outside (its <c>ext_ifname</c>).</summary>
    public string InsideLink { get; }
    public string OutsideLink { get; }

    /// <summary>What miniupnpd printed (it runs with -d: every request, every rule).</summary>
    public string RouterLog => string.Join("\n", _routerLog);

    /// <summary>Builds the three namespaces and the router's ruleset; skips (or, with interop required, fails) when
    /// namespaces, nftables or miniupnpd are missing.</summary>
    public static HomeNetwork CreateOrSkip()
    {
        var nets = NetNamespaces.CreateOrSkip();
        try
        {
            Interop.RequireExecutable("/usr/sbin/miniupnpd");
            var nft = File.Exists("/usr/sbin/nft") ? "/usr/sbin/nft" : Interop.RequireExecutable("nft");
            var version = ProcessRunner.Run("/usr/sbin/miniupnpd", ["--version"], TimeSpan.FromSeconds(10));
            if (!(version.Stdout + version.Stderr).Contains("nftables", StringComparison.Ordinal))
                Interop.Missing($"this miniupnpd is not built with the nftables backend the test sets up: {version.Stdout.Trim()} {version.Stderr.Trim()}");
            var (home, router, outside) = (nets.Create("home"), nets.Create("rtr"), nets.Create("out"));
            var (inside, homeLink) = nets.Link(router, RouterInside, home, HomeAddress);
            var (outsideLink, _) = nets.Link(router, RouterOutside, outside, OutsideAddress);
            Must(NetNamespaces.Ip("-n", home, "addr", "add", $"{NeighbourAddress}/24", "dev", homeLink), "neighbour address");
            Must(NetNamespaces.Ip("-n", home, "route", "add", "default", "via", RouterInside), "home's default route");
            Must(NetNamespaces.Run(router, "sh", ["-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"], TimeSpan.FromSeconds(10)), "forwarding");
            var network = new HomeNetwork(nets, home, router, outside, inside, outsideLink);
            var rules = network._folder.Combine("router.nft");
            File.WriteAllText(rules, $$"""
                table inet filter {
                  chain miniupnpd {
                  }
                  chain prerouting_miniupnpd {
                  }
                  chain postrouting_miniupnpd {
                  }
                  chain forward {
                    type filter hook forward priority 0; policy drop;
                    ct state established,related accept
                    iif "{{inside}}" oif "{{outsideLink}}" ip daddr {{OutsideAddress}} tcp dport {{TrackerPort}} accept
                    jump miniupnpd
                  }
                  chain prerouting {
                    type nat hook prerouting priority -100; policy accept;
                    jump prerouting_miniupnpd
                  }
                  chain postrouting {
                    type nat hook postrouting priority 100; policy accept;
                    jump postrouting_miniupnpd
                    oif "{{outsideLink}}" masquerade
                  }
                }
                """);
            var loaded = NetNamespaces.Run(router, nft, ["-f", rules], TimeSpan.FromSeconds(10));
            if (loaded.ExitCode != 0)
            {
                network.Dispose();
                Interop.Missing($"nftables cannot load the router's rules in a namespace here: {loaded.Stderr.Trim()}");
            }
            return network;
        }
        catch
        {
            nets.Dispose();
            throw;
        }
    }

    /// <summary>Starts miniupnpd as the router, with UPnP, NAT-PMP and PCP, secure mode (a host maps only to itself), home's
    /// ports above 1024 mappable, and <paramref name="externalLabel"/> as its external address (null: none, so it has
    /// only its outside interface's private address, and refuses every mapping); waits until it listens.</summary>
    public void StartRouter(string? externalLabel = ExternalLabel)
    {
        var config = _folder.Combine("miniupnpd.conf");
        File.WriteAllText(config, $"""
            ext_ifname={OutsideLink}
            {(externalLabel is null ? "" : $"ext_ip={externalLabel}")}
            listening_ip={InsideLink}
            http_port=0
            enable_upnp=yes
            enable_natpmp=yes
            secure_mode=yes
            system_uptime=no
            notify_interval=60
            clean_ruleset_interval=0
            uuid={Guid.NewGuid()}
            allow 1024-65535 10.71.1.0/24 1024-65535
            deny 0-65535 0.0.0.0/0 0-65535

            """);
        _routerLog.Clear();
        _router = NetNamespaces.Start(Router, "/usr/sbin/miniupnpd", ["-d", "-f", config, "-P", _folder.Combine("miniupnpd.pid")]);
        _router.OutputDataReceived += (_, e) => { if (e.Data is not null) _routerLog.Enqueue(e.Data); };
        _router.ErrorDataReceived += (_, e) => { if (e.Data is not null) _routerLog.Enqueue(e.Data); };
        _router.BeginOutputReadLine();
        _router.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!_routerLog.Any(l => l.Contains("Listening for NAT-PMP/PCP traffic", StringComparison.Ordinal)))
        {
            if (_router.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
                throw new InvalidOperationException($"miniupnpd did not start:\n{RouterLog}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Stops miniupnpd (the router "disappears"; its rules stay, as a crashed daemon's would).</summary>
    public void StopRouter()
    {
        if (_router is null) return;
        ProcessRunner.Stop(_router);
        _router.WaitForExit(10_000);
        _router.Dispose();
        _router = null;
    }

    /// <summary>While <paramref name="lost"/>, the router acts on every port-mapping request but its answers are lost on
    /// their way home: PCP and NAT-PMP answers to a mapping (UDP from port 5351 with a lifetime; the answers to
    /// deletions, lifetime 0, still come) and the answers on HTTP connections whose request began with <c>POST</c>
    /// (the SOAP actions; the device description, a GET, still comes, so a UPnP client finds the router and asks). A
    /// lost TCP answer is sent again by the router's kernel, and arrives once they pass again. PCP and NAT-PMP
    /// deletions heard meanwhile are counted (<see cref="DeletionsHeard"/>).</summary>
    public void LoseAnswers(bool lost)
    {
        if (!lost)
        {
            Must(NetNamespaces.Run(Router, Nft, ["delete", "table", "inet", "lost"], TimeSpan.FromSeconds(10)), "let answers through");
            return;
        }
        var rules = _folder.Combine("lost.nft");
        // @ih,0,32: the first four bytes after the TCP header, "POST"; the connection is marked, and what the router
        // sends on it dropped. A deletion: a PCP request (version 2) or a NAT-PMP mapping request (version 0, opcode
        // 1 or 2) whose lifetime (bytes 4-7 of PCP's, 8-11 of NAT-PMP's) is 0. In the answers the lifetime is at
        // bytes 4-7 (PCP) and 12-15 (NAT-PMP).
        File.WriteAllText(rules, $$"""
            table inet lost {
              counter deletions {
              }
              chain in {
                type filter hook input priority 0; policy accept;
                iifname "{{InsideLink}}" tcp dport 1-65535 @ih,0,32 0x504f5354 ct mark set 0x4c
                iifname "{{InsideLink}}" udp dport 5351 @ih,0,8 2 @ih,32,32 0 counter name "deletions"
                iifname "{{InsideLink}}" udp dport 5351 @ih,0,8 0 @ih,8,8 1-2 @ih,64,32 0 counter name "deletions"
              }
              chain out {
                type filter hook output priority 0; policy accept;
                oifname "{{InsideLink}}" udp sport 5351 @ih,0,8 2 @ih,32,32 != 0 drop
                oifname "{{InsideLink}}" udp sport 5351 @ih,0,8 0 @ih,96,32 != 0 drop
                oifname "{{InsideLink}}" ct mark 0x4c drop
              }
            }
            """);
        Must(NetNamespaces.Run(Router, Nft, ["-f", rules], TimeSpan.FromSeconds(10)), "lose answers");
    }

    /// <summary>PCP and NAT-PMP deletions (lifetime 0) the router heard while its answers were lost.</summary>
    public int DeletionsHeard
    {
        get
        {
            var listed = NetNamespaces.Run(Router, Nft, ["list", "counter", "inet", "lost", "deletions"], TimeSpan.FromSeconds(10));
            Must(listed, "read the deletions counter");
            var packets = System.Text.RegularExpressions.Regex.Match(listed.Stdout, @"packets (\d+)");
            return packets.Success ? int.Parse(packets.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }
    }

    private static string Nft => File.Exists("/usr/sbin/nft") ? "/usr/sbin/nft" : "nft";

    /// <summary>The router's port redirections now, one line each: <c>iif "..." @nh,72,8 0x6 th dport 7001 dnat ip to
    /// 10.71.1.2:7001</c> (0x6 TCP, 0x11 UDP).</summary>
    public IReadOnlyList<string> Redirections()
    {
        var listed = NetNamespaces.Run(Router, "/usr/sbin/nft", ["list", "chain", "inet", "filter", "prerouting_miniupnpd"], TimeSpan.FromSeconds(10));
        Must(listed, "list the redirections");
        return [.. listed.Stdout.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.Contains(" dnat ", StringComparison.Ordinal))];
    }

    /// <summary>The redirection of <paramref name="externalPort"/> for TCP (or UDP) to <paramref name="host"/>, if any.</summary>
    public string? RedirectionOf(int externalPort, bool udp, string host = HomeAddress) =>
        Redirections().FirstOrDefault(l => l.Contains(udp ? "0x11 " : "0x6 ", StringComparison.Ordinal)
            && l.Contains($"dport {externalPort.ToString(CultureInfo.InvariantCulture)} ", StringComparison.Ordinal)
            && l.Contains($"to {host}:", StringComparison.Ordinal));

    private static void Must(ProcessRunner.Result result, string what)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"{what} failed: {result.Stderr.Trim()}");
    }

    public void Dispose()
    {
        StopRouter();
        _nets.Dispose();
        _folder.Dispose();
    }
}
