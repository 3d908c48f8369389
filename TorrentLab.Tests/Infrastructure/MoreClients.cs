using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>rtorrent (libtorrent-rakshasa) on 127.0.0.3 for the interop tests: it ignores peers on its own address, so it
/// runs on another loopback address than ours (/work/shared/INTEROP.md). Headless (<c>system.daemon</c>), DHT, PEX and
/// UDP trackers off; stopped by its own id on dispose.</summary>
internal sealed class Rtorrent : IDisposable
{
    /// <summary>Its address unless told another.</summary>
    public const string Address = "127.0.0.3";

    private readonly Process _process;
    private readonly string _finished, _log, _rpc;

    private Rtorrent(Process process, int port, string finished, string log, string rpc)
    {
        _process = process;
        Port = port;
        _finished = finished;
        _log = log;
        _rpc = rpc;
    }

    /// <summary>What it logged (its info level), for a failure message.</summary>
    public string Log => File.Exists(_log) ? File.ReadAllText(_log) : "(no log)";

    /// <summary>Its peer port, on the address it was started with (<see cref="Address"/> unless told another).</summary>
    public int Port { get; }

    /// <summary>True once it has downloaded the whole torrent (its <c>event.download.finished</c> ran).</summary>
    public bool Finished => File.Exists(_finished);

    /// <summary>Starts rtorrent on <paramref name="torrent"/> with its data folder <paramref name="dataFolder"/>: it
    /// checks what is there, then seeds or downloads the rest. Its session and log go to <paramref name="work"/>. Several
    /// rtorrents that should trade with each other each need an <paramref name="address"/> of their own: it ignores
    /// peers on its own address.</summary>
    public static Rtorrent Start(string exe, string torrent, string dataFolder, string work, string address = Address)
    {
        var port = ProcessRunner.FreeTcpPort();
        var session = Path.Combine(work, "rtorrent-session");
        Directory.CreateDirectory(session);
        Directory.CreateDirectory(dataFolder);
        var finished = Path.Combine(work, "rtorrent-finished");
        var log = Path.Combine(work, "rtorrent.log");
        var rc = Path.Combine(work, "rtorrent.rc");
        var rpc = Path.Combine(work, "rtorrent.rpc");
        File.WriteAllLines(rc,
        [
            $"directory.default.set = {dataFolder}",
            $"session.path.set = {session}",
            $"network.port_range.set = {port}-{port}",
            "network.port_random.set = no",
            $"network.bind_address.set = {address}",
            "system.daemon.set = true",
            "dht.mode.set = disable",
            "protocol.pex.set = no",
            "trackers.use_udp.set = no",
            $"network.scgi.open_local = {rpc}",
            $"log.open_file = \"main\", {log}",
            "log.add_output = \"info\", \"main\"",
            $"method.set_key = event.download.finished, done, \"execute.nothrow=touch,{finished}\"",
            $"load.start_verbose = \"{torrent}\", \"d.directory.set={dataFolder}\"",
        ]);
        return new Rtorrent(ProcessRunner.Start(exe, ["-n", "-o", $"import={rc}"]), port, finished, log, rpc);
    }

    /// <summary>The bytes of its torrent it has received (<c>d.bytes_done</c> over its control socket), or null while
    /// the socket is not open yet. rtorrent sees a torrent finished only on its next one-second tick (its finished event
    /// runs 0.6-0.7 s past a wall-clock second whatever the seed), so a transfer under a second is measured by this
    /// count, which a call reads at once.</summary>
    public async Task<long?> BytesDoneAsync(CancellationToken ct)
    {
        const string body = "<?xml version=\"1.0\"?><methodCall><methodName>d.multicall2</methodName><params>"
            + "<param><value><string></string></value></param><param><value><string>main</string></value></param>"
            + "<param><value><string>d.bytes_done=</string></value></param></params></methodCall>";
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
            System.Net.Sockets.ProtocolType.Unspecified);
        try { await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(_rpc), ct); }
        catch (System.Net.Sockets.SocketException) { return null; }
        // SCGI: a netstring of NUL-separated headers, then the XML-RPC call.
        var headers = $"CONTENT_LENGTH\0{body.Length}\0SCGI\01\0";
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"{headers.Length}:{headers},{body}"), ct);
        using var stream = new System.Net.Sockets.NetworkStream(socket);
        using var reader = new StreamReader(stream);
        var answer = await reader.ReadToEndAsync(ct);
        var value = System.Text.RegularExpressions.Regex.Match(answer, @"<i[48]>(\d+)</i[48]>");
        return value.Success ? long.Parse(value.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}

/// <summary>qbittorrent-nox (libtorrent-rasterbar inside a daemon) on 127.0.0.1, driven through its WebUI API v2: its
/// profile written first (legal notice accepted, DHT, LSD, PeX, UPnP and queueing off, loopback only, no WebUI login
/// from localhost); stopped by its own id on dispose.</summary>
internal sealed class QBittorrentNox : IDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;

    private QBittorrentNox(Process process, int webPort, int peerPort)
    {
        _process = process;
        PeerPort = peerPort;
        WebUrl = $"http://127.0.0.1:{webPort}/";
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}/api/v2/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>Its peer port on 127.0.0.1.</summary>
    public int PeerPort { get; }

    /// <summary>Its WebUI's address, <c>http://127.0.0.1:PORT/</c>; qBittorrent 4.5's login is admin / adminadmin.</summary>
    public string WebUrl { get; }

    /// <summary>Starts qbittorrent-nox with a profile in <paramref name="work"/> and waits until its API answers.</summary>
    public static async Task<QBittorrentNox> StartAsync(string exe, string work, CancellationToken ct)
    {
        var (webPort, peerPort) = (ProcessRunner.FreeTcpPort(), ProcessRunner.FreeTcpAndUdpPort());
        var profile = Path.Combine(work, "qbittorrent-profile");
        var config = Path.Combine(profile, "qBittorrent", "config");
        Directory.CreateDirectory(config);
        File.WriteAllLines(Path.Combine(config, "qBittorrent.conf"),
        [
            "[LegalNotice]", "Accepted=true", "",
            "[BitTorrent]", $"Session\\Port={peerPort}", "Session\\InterfaceAddress=127.0.0.1", "Session\\Interface=lo",
            "Session\\QueueingSystemEnabled=false", "Session\\DHTEnabled=false", "Session\\LSDEnabled=false", "Session\\PeXEnabled=false",
            "Session\\Encryption=0", "Session\\BTProtocol=1", "", // encryption allowed, TCP only
            "[Preferences]", "WebUI\\Address=127.0.0.1", $"WebUI\\Port={webPort}", "WebUI\\LocalHostAuth=false", "WebUI\\CSRFProtection=false",
            "WebUI\\HostHeaderValidation=false", "Bittorrent\\DHT=false", "Bittorrent\\LSD=false", "Bittorrent\\PeX=false", "Connection\\UPnP=false",
            "Connection\\ResolvePeerCountries=false", // else it fetches a country database from outside
        ]);
        var process = ProcessRunner.Start(exe, [$"--profile={profile}", $"--webui-port={webPort}"]);
        var qb = new QBittorrentNox(process, webPort, peerPort);
        var answered = false;
        await Wait.UntilAsync(async () =>
        {
            try
            {
                using var answer = await qb._http.GetAsync("app/version", ct);
                answered = answer.IsSuccessStatusCode;
            }
            catch (HttpRequestException) { }
            return answered || process.HasExited;
        }, TimeSpan.FromSeconds(30), ct);
        if (answered) return qb;
        qb.Dispose();
        throw new InvalidOperationException("qbittorrent-nox's WebUI never answered");
    }

    /// <summary>Adds <paramref name="torrent"/>, its data in <paramref name="savePath"/>: it checks what is there, then
    /// seeds or downloads the rest. Returns once it lists the torrent.</summary>
    public async Task AddAsync(string torrent, string savePath, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(await File.ReadAllBytesAsync(torrent, ct));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/x-bittorrent");
        form.Add(file, "torrents", Path.GetFileName(torrent));
        form.Add(new StringContent(savePath), "savepath");
        using var answer = await _http.PostAsync("torrents/add", form, ct);
        var text = await answer.Content.ReadAsStringAsync(ct);
        Assert.True(answer.IsSuccessStatusCode && text.Contains("Ok", StringComparison.Ordinal), $"torrents/add: {(int)answer.StatusCode} {text}");
        // "Ok." comes before the torrent is in its session: a call naming it at once may get 404 (a test run, 2026-11-30).
        var hash = TorrentLab.Metainfo.Torrent.Load(torrent).InfoHash.Hex;
        await Wait.UntilAsync(async () => await StateAsync(hash, ct) is not null, TimeSpan.FromSeconds(30), ct);
    }

    /// <summary>Its state of the torrent (<c>uploading</c>, <c>stalledUP</c>, <c>downloading</c>, <c>checkingUP</c>, ...)
    /// and progress, or null while it does not list it.</summary>
    public async Task<(string State, double Progress)?> StateAsync(string infoHashHex, CancellationToken ct)
    {
        var json = await _http.GetStringAsync($"torrents/info?hashes={infoHashHex}", ct);
        using var document = JsonDocument.Parse(json);
        foreach (var t in document.RootElement.EnumerateArray())
            return (t.GetProperty("state").GetString() ?? "", t.GetProperty("progress").GetDouble());
        return null;
    }

    /// <summary>Its API v2 at <c>/api/v2/</c>, for calls this class has no method for.</summary>
    public HttpClient Api => _http;

    /// <summary>Stops it cleanly (<c>POST /api/v2/app/shutdown</c>: it writes every fastresume) and waits for its exit.</summary>
    public async Task ShutdownAsync(CancellationToken ct)
    {
        using (await _http.PostAsync("app/shutdown", null, ct)) { }
        await _process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
    }

    public void Dispose()
    {
        _http.Dispose();
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}

/// <summary>A webtorrent peer (Node, TCP) from <c>tools/webtorrent/peer.mjs</c> on 127.0.0.1; stopped by its own id on
/// dispose.</summary>
internal sealed class WebtorrentPeer : IDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    private WebtorrentPeer(Process process, int port)
    {
        _process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) _lines.Enqueue(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) _lines.Enqueue(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Its peer port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>What it printed so far.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Starts <paramref name="script"/> seeding (<paramref name="seed"/>) or fetching <paramref name="torrent"/>
    /// with its data in <paramref name="folder"/>.</summary>
    public static WebtorrentPeer Start(string script, bool seed, string torrent, string folder)
    {
        var port = ProcessRunner.FreeTcpPort();
        Directory.CreateDirectory(folder);
        var process = ProcessRunner.Start(Interop.Node, [script, seed ? "seed" : "get", torrent, folder, port.ToString()]);
        return new WebtorrentPeer(process, port);
    }

    /// <summary>Until it prints <paramref name="line"/> (true) or exits or <paramref name="timeout"/> passes (false).</summary>
    public async Task<bool> WaitForAsync(string line, TimeSpan timeout, CancellationToken ct)
    {
        await Wait.UntilAsync(() => _lines.Contains(line) || _process.HasExited, timeout, ct);
        if (_process.HasExited) _process.WaitForExit(); // its exit can be seen before its last lines are read
        return _lines.Contains(line);
    }

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}
