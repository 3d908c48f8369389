using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Network;
using TorrentLab.Proxy;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Proxy;

/// <summary>The network decorator against real SOCKS5 servers on loopback: microsocks (CONNECT, user and password) and
/// danted (UDP ASSOCIATE), with a TCP echo and a UDP echo of ours behind them.</summary>
[Trait("Tier", "Slow")]
public sealed class Socks5NetworkTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly List<Process> _processes = [];
    private readonly ConcurrentQueue<string> _proxyLog = new();
    private readonly TempFolder _folder = new("torrentlab-socks-net");

    [Fact]
    public async Task Connect_ThroughMicrosocksWithAPassword_ReachesTheEchoAtTheAddressGiven()
    {
        var proxy = StartMicrosocks("bob", "pw");
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        var answered = EchoOnceAsync(echo);
        var network = new Socks5Network(SystemNetwork.Instance, proxy);

        await using var stream = await network.ConnectAsync((IPEndPoint)echo.LocalEndpoint, Ct);
        await stream.WriteAsync("hello"u8.ToArray(), Ct);
        var back = new byte[5];
        await stream.ReadExactlyAsync(back, Ct);

        Assert.Equal("hello", Encoding.ASCII.GetString(back));
        await answered;
    }

    [Fact]
    public async Task Connect_WithAWrongPassword_FailsAsAccessDenied_SayingSoWithoutThePassword()
    {
        var proxy = StartMicrosocks("bob", "pw");
        var network = new Socks5Network(SystemNetwork.Instance, proxy with { Password = "nope" });

        var error = await Assert.ThrowsAsync<SocketException>(() => network.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 9), Ct));

        Assert.Equal(SocketError.AccessDenied, error.SocketErrorCode);
        Assert.Contains("refused the user name and password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ToAClosedPort_FailsAsTheProxysReplySays()
    {
        var proxy = StartMicrosocks("bob", "pw");
        var network = new Socks5Network(SystemNetwork.Instance, proxy);
        // Bound and never listening: the port stays ours for the test, and a connection to it is refused.
        using var held = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        held.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closed = ((IPEndPoint)held.LocalEndPoint!).Port;

        var error = await Assert.ThrowsAsync<SocketException>(() => network.ConnectAsync(new IPEndPoint(IPAddress.Loopback, closed), Ct));

        // The whole message on failure (Assert.Contains cuts it off after the proxy's name): it failed once at load ~45
        // with another message about the proxy, not understood.
        Assert.True(error.Message.Contains($"could not connect to 127.0.0.1:{closed}", StringComparison.Ordinal),
            $"{error.Message}\nmicrosocks: {string.Join("\n", _proxyLog)}");
    }

    [Fact]
    public async Task Connect_ToAProxyThatIsNotThere_FailsNamingIt()
    {
        var network = new Socks5Network(SystemNetwork.Instance, new Socks5Proxy("127.0.0.1", ProcessRunner.FreeTcpPort()));

        var error = await Assert.ThrowsAsync<SocketException>(() => network.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 9), Ct));

        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        Assert.Contains("cannot reach the SOCKS5 proxy socks5://127.0.0.1:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_ProxyOnly_NeverAsksTheResolverBeneath_AndSaysWhy()
    {
        var beneath = new RecordingNetwork();
        var network = new Socks5Network(beneath, new Socks5Proxy("127.0.0.1", 1080) { Only = true });

        var error = await Assert.ThrowsAsync<SocketException>(() => network.ResolveAsync("router.example", Ct));

        Assert.Contains("'router.example' is not looked up: the local resolver would learn it", error.Message, StringComparison.Ordinal);
        Assert.Empty(beneath.Resolved);
    }

    [Fact]
    public async Task UdpPort_ThroughDante_SendsToAHostName_WhichDanteResolves()
    {
        var proxy = StartDante();
        using var echo = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var echoPort = ((IPEndPoint)echo.Client.LocalEndPoint!).Port;
        var echoed = Task.Run(async () =>
        {
            var got = await echo.ReceiveAsync(Ct);
            await echo.SendAsync(Encoding.ASCII.GetBytes("pong:" + Encoding.ASCII.GetString(got.Buffer)), got.RemoteEndPoint, Ct);
        }, Ct);
        var beneath = new RecordingNetwork();
        var network = new Socks5Network(beneath, proxy with { Only = true });
        using var port = (Socks5UdpPort)network.BindUdp(new IPEndPoint(IPAddress.Loopback, 0), new UdpPortOptions());
        var answers = new ConcurrentQueue<(string Text, IPEndPoint From)>();
        port.Start((data, from) => answers.Enqueue((Encoding.ASCII.GetString(data.Span), from)));

        port.Send("ping"u8, "localhost", echoPort); // the name goes to dante, which resolves it

        Assert.True(await Wait.UntilAsync(() => !answers.IsEmpty, TimeSpan.FromSeconds(60), Ct), string.Join("\n", _proxyLog));
        await echoed;
        Assert.True(answers.TryDequeue(out var answer));
        Assert.Equal("pong:ping", answer.Text);
        Assert.Equal(echoPort, answer.From.Port);
        Assert.Empty(beneath.Resolved);
    }

    [Fact]
    public async Task UdpPort_ThroughDante_SendsByTheRelay_AndNamesTheAnswerByItsSender()
    {
        var proxy = StartDante();
        using var echo = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var echoed = Task.Run(async () =>
        {
            var got = await echo.ReceiveAsync(Ct);
            await echo.SendAsync(Encoding.ASCII.GetBytes("pong:" + Encoding.ASCII.GetString(got.Buffer)), got.RemoteEndPoint, Ct);
            return got.RemoteEndPoint;
        }, Ct);
        var network = new Socks5Network(SystemNetwork.Instance, proxy with { Only = true });
        using var port = (Socks5UdpPort)network.BindUdp(new IPEndPoint(IPAddress.Loopback, 0), new UdpPortOptions());
        var answers = new ConcurrentQueue<(string Text, IPEndPoint From)>();
        port.Start((data, from) => answers.Enqueue((Encoding.ASCII.GetString(data.Span), from)));

        port.Send("ping"u8, (IPEndPoint)echo.Client.LocalEndPoint!); // before the association holds: it waits, then goes

        Assert.True(await Wait.UntilAsync(() => !answers.IsEmpty, TimeSpan.FromSeconds(60), Ct), string.Join("\n", _proxyLog));
        var sender = await echoed;
        Assert.NotNull(port.Relay);
        Assert.NotEqual(port.LocalEndPoint.Port, sender.Port); // the echo heard the relay, not our port
        Assert.True(answers.TryDequeue(out var answer));
        Assert.Equal(("pong:ping", (IPEndPoint)echo.Client.LocalEndPoint!), answer);
    }

    [Fact]
    public async Task UdpPort_ProxyOnly_WithAProxyThatRefusesUdp_SaysSoAndSendsNothingDirect()
    {
        var proxy = StartMicrosocks("bob", "pw");
        using var target = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var lines = new ConcurrentQueue<string>();
        var network = new Socks5Network(SystemNetwork.Instance, proxy with { Only = true }, lines.Enqueue);
        using var port = (Socks5UdpPort)network.BindUdp(new IPEndPoint(IPAddress.Loopback, 0), new UdpPortOptions());
        port.Start((_, _) => { });

        port.Send("before"u8, (IPEndPoint)target.Client.LocalEndPoint!);
        await port.Associated.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        port.Send("after"u8, (IPEndPoint)target.Client.LocalEndPoint!);
        // A datagram of our own from another socket shows the target's queue: had either been sent, it would be first.
        using var marker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await marker.SendAsync("marker"u8.ToArray(), (IPEndPoint)target.Client.LocalEndPoint!, Ct);
        var first = await target.ReceiveAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal("marker", Encoding.ASCII.GetString(first.Buffer));
        Assert.Contains(lines, l => l.Contains("refuses UDP ASSOCIATE (command not supported): no UDP is sent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchOutsideASession_ATorrentUrlThroughTheProxy_ArrivesWithTheRightPassword_AndFailsSayingSoWithAWrongOne()
    {
        var proxy = StartMicrosocks("bob", "pw");
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var served = ServeOnceAsync(server, "d4:spam4:eggse"u8.ToArray());
        var url = $"http://127.0.0.1:{((IPEndPoint)server.LocalEndpoint).Port}/x.torrent";

        var wrong = await Assert.ThrowsAsync<TorrentLab.Client.TorrentUrlException>(() =>
            TorrentLab.Client.TorrentClient.FetchTorrentFileAsync(url, 1000, proxy with { Password = "nope" }, Ct));
        var bytes = await TorrentLab.Client.TorrentClient.FetchTorrentFileAsync(url, 1000, proxy, Ct);

        Assert.Contains("refused the user name and password", wrong.Message, StringComparison.Ordinal);
        Assert.Equal("d4:spam4:eggse", Encoding.ASCII.GetString(bytes));
        await served;
    }

    /// <summary>Answers one HTTP request with <paramref name="body"/>.</summary>
    private static async Task ServeOnceAsync(TcpListener listener, byte[] body)
    {
        using var client = await listener.AcceptTcpClientAsync(Ct);
        var stream = client.GetStream();
        var request = new StringBuilder();
        var buffer = new byte[1024];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, Ct);
            if (read == 0) return;
            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), Ct);
        await stream.WriteAsync(body, Ct);
    }

    [Fact]
    public async Task Dht_OfAProxyOnlySession_JoinsThroughDantesRelay()
    {
        var proxy = StartDante();
        await using var router = TorrentLab.Swarm.Session.Start(new TorrentLab.Downloads.SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], DhtBootstrap = [], PortFallback = false,
        });
        var routerNode = await router.DhtStarted.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await using var ours = TorrentLab.Swarm.Session.Start(new TorrentLab.Downloads.SessionSettings
        {
            ListenPort = 0, BindAddresses = [IPAddress.Loopback], PortFallback = false,
            DhtBootstrap = [$"127.0.0.1:{router.Port}"], Proxy = proxy with { Only = true },
        });
        var ourNode = await ours.DhtStarted.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        // Proxy only: a datagram from anyone but the relay is dropped, so the router in our table answered through it.
        Assert.True(await Wait.UntilAsync(() => ourNode!.NodeCount >= 1 && routerNode!.Stats.QueriesAnswered >= 1,
            TimeSpan.FromSeconds(90), Ct), string.Join("\n", _proxyLog));
    }

    private Socks5Proxy StartMicrosocks(string user, string password)
    {
        var microsocks = Interop.RequireExecutable("/usr/bin/microsocks");
        // Port 0: microsocks binds a port of the kernel's choosing, which we read from its own descriptors.
        var process = Start(microsocks, ["-i", "127.0.0.1", "-p", "0", "-u", user, "-P", password]);
        var port = ProcessRunner.WaitForOwnListener(process, "microsocks", () => string.Join("\n", _proxyLog), Ct);
        return new Socks5Proxy("127.0.0.1", port) { UserName = user, Password = password };
    }

    private Socks5Proxy StartDante()
    {
        var danted = Interop.RequireExecutable("/usr/sbin/danted");
        var port = ProcessRunner.FreeTcpPort();
        var config = _folder.Combine("danted.conf");
        File.WriteAllText(config, $$"""
            logoutput: stderr
            internal: 127.0.0.1 port = {{port}}
            external: 127.0.0.1
            clientmethod: none
            socksmethod: none
            client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
            socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect udpassociate }
            socks pass { from: 0.0.0.0/0 to: 127.0.0.0/8 command: udpreply }
            """);
        // danted cannot bind port 0, so it is given one that was free; that it is danted listening there, and not another
        // process that took the port meanwhile, is read from its own descriptors.
        var process = Start(danted, ["-f", config, "-p", _folder.Combine("danted.pid"), "-N", "1"]);
        Assert.Equal(port, ProcessRunner.WaitForOwnListener(process, "danted", () => string.Join("\n", _proxyLog), Ct));
        return new Socks5Proxy("127.0.0.1", port);
    }

    private Process Start(string file, string[] args)
    {
        var process = ProcessRunner.Start(file, args);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) _proxyLog.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _proxyLog.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private static async Task EchoOnceAsync(TcpListener listener)
    {
        using var client = await listener.AcceptTcpClientAsync(Ct);
        var stream = client.GetStream();
        var buffer = new byte[5];
        await stream.ReadExactlyAsync(buffer, Ct);
        await stream.WriteAsync(buffer, Ct);
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            ProcessRunner.Stop(process);
            process.Dispose();
        }
        _folder.Dispose();
    }
}
