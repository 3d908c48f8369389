using System.CommandLine;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using TorrentLab.Cli.Service;
using TorrentLab.Web;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab serve</c>: the web interface (REST API, live updates, the page) until Ctrl-C.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port the web interface listens on (0: any free one); used or the command fails (exit 10), never replaced", DefaultValueFactory = _ => 8080 }.Port();
        var host = new Option<string>("--host") { Description = "Address to listen on; anything but loopback requires a token", DefaultValueFactory = _ => "127.0.0.1" }
            .Each(v => v == "localhost" || System.Net.IPAddress.TryParse(v.Trim('[', ']'), out _) ? null : $"--host expects an IP address or 'localhost', got '{v}'");
        var downloads = new Option<string>("--downloads") { Description = "Folder every download goes below", DefaultValueFactory = _ => "downloads" }.FolderNotFile();
        var token = new Option<string?>("--token") { Description = "Bearer token API calls must present (generated and printed when the host is not loopback)" };
        var allowedHosts = new Option<string[]>("--allowed-host")
        {
            Description = "Another name the server answers to (a LAN name, a reverse proxy's name); repeat for more. "
                + "Requests naming any other host are refused (DNS rebinding)",
            Arity = ArgumentArity.ZeroOrMore,
        }.Each(v => WebServerOptions.IsHostName(v) ? null : $"--allowed-host expects a host name or IP address without a port, got '{v}'");
        var basePath = new Option<string?>("--base-path")
        {
            Description = "The path a reverse proxy serves it below, e.g. /torrents (the page at /torrents/, the APIs below it)",
        }.Each(v => WebServerOptions.IsBasePath(v) ? null : $"--base-path expects a path like /torrents, got '{v}'");
        var maxPeers = new Option<int?>("--max-peers", "-m") { Description = "Peers connected at once over all torrents (default 500; each torrent has at most 50)" }.InRange(1, int.MaxValue);
        var peerPort = new Option<int?>("--peer-port") { Description = "The one port peers reach every torrent on, TCP and UDP (default: the last run's, else 6881, or 6882-6889 or any free one when taken; a port given or saved is used or the command fails, exit 10; a fallback is never saved)" }.Port();
        var noDht = DownloadSettings.NoDhtOption();
        var bootstrap = DownloadSettings.DhtBootstrapOption();
        var lsd = DownloadSettings.LsdOption();
        var portMapping = DownloadSettings.PortMappingOption();
        portMapping.Description += " (saved: later starts keep it on)";
        var noPortMapping = new Option<bool>("--no-port-mapping") { Description = "Turn off the port mapping an earlier start saved (and save that)" };
        var portMappingProtocols = DownloadSettings.PortMappingProtocolsOption();
        var proxy = DownloadSettings.ProxyOption();
        proxy.Description += " (given at each start, never saved)";
        var proxyOnly = DownloadSettings.ProxyOnlyOption();
        var maxActive = new Option<int>("--max-active") { Description = "Downloads running at once, 1..1000; the rest wait in the queue, in order (the page can change it)", DefaultValueFactory = _ => 5 }.InRange(1, 1000);
        var seed = new Option<bool>("--seed") { Description = "Seed each torrent after it completes, until a limit (the page can change it)" };
        var seedRatio = MainCommand.SeedRatioOption("Default: stop seeding once uploaded/size reaches this ratio (implies --seed)");
        var seedTime = MainCommand.SeedTimeOption("Default: stop seeding after this long, e.g. 30m, 2h (a bare number is minutes; implies --seed)");
        var encryption = DownloadSettings.EncryptionOption();
        var bind = DownloadSettings.BindOption();
        bind.Description = "Local address the peer port listens on (repeatable; default :: = IPv4 and IPv6); the page's address is --host";
        var bindInterface = DownloadSettings.BindInterfaceOption();
        var command = new Command("serve", "Serve the web interface: a REST API, live updates and a page that shows the protocol.")
        {
            port, host, downloads, token, allowedHosts, basePath, peerPort, maxPeers, noDht, bootstrap, lsd, maxActive, seed, seedRatio, seedTime, encryption, bind, bindInterface,
            portMapping, noPortMapping, portMappingProtocols, proxy, proxyOnly,
        };
        var maxDownloadRate = RateOption.Download();
        var maxUploadRate = RateOption.Upload();
        command.Options.Add(maxDownloadRate); // the global limits at start; the page and PUT /api/limits change them
        command.Options.Add(maxUploadRate);
        var transmissionWeb = new Option<string?>("--transmission-web")
        {
            Description = "Serve Transmission's web client from this folder at /transmission/web/ (Debian: /usr/share/transmission/web)",
        }.Each(v => File.Exists(Path.Combine(v, "index.html")) ? null : $"--transmission-web expects the folder of Transmission's web client (with its index.html), got '{v}'");
        command.Options.Add(transmissionWeb);
        var blocklist = DownloadSettings.BlocklistOption(); // turned on and saved; the page and the remote APIs change it
        command.Options.Add(blocklist);
        var banClient = new Option<string[]>("--ban-client")
        {
            Description = "Ban peers of this client (repeatable): a peer id prefix (-XL0012-) or a client name its extension handshake gives (Xunlei); "
                + "id:PREFIX or v:NAME for one of the two (saved; replaces the saved list; the page can change it)",
            HelpName = "RULE",
            AllowMultipleArgumentsPerToken = false,
        };
        command.Options.Add(banClient);
        var watch = new Option<string?>("--watch")
        {
            Description = "Watch folder: each .torrent (or .magnet file holding a magnet link) put there is added and started once it has stopped growing, "
                + "then renamed NAME.added; one that is not a torrent is renamed NAME.invalid (saved; the page can change it)",
            HelpName = "DIR",
        }.FolderNotFile().Each(v => Directory.Exists(v) ? null : $"--watch expects an existing folder, got '{v}'");
        var watchDelete = new Option<bool>("--watch-delete") { Description = "Delete each watched file once added instead of renaming it NAME.added" };
        command.Options.Add(watch);
        command.Options.Add(watchDelete);
        var keepFree = new Option<long?>("--keep-free")
        {
            Description = "Disk guard: downloads wait while less than this is free on their volume, and go on once it is, e.g. 1G, 500M "
                + "(0: off; default 1G; saved, the page can change it)",
            HelpName = "SIZE",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
                if (RateOption.TryParse(text) is { } bytes) return bytes;
                result.AddError($"--keep-free expects a size such as 1G, 500M or 0 (off), got '{text}'");
                return null;
            },
        };
        command.Options.Add(keepFree);
        // Hooks (docs/web.md, Hooks): a program run without a shell, qBittorrent's placeholders replaced per argument.
        var onAdded = new Option<string?>("--on-added")
        {
            Description = "Program run when a torrent is added, e.g. '/usr/local/bin/added.sh \"%N\" %I': split with shell-like quoting but run "
                + "without a shell; %N name, %D save path, %F content path, %I info hash... (saved; the remote APIs change it)",
            HelpName = "PROGRAM",
        }.Each(v => WebServerOptions.CommandLineProblem(v) is { } problem ? $"--on-added: {problem}" : null);
        var onComplete = new Option<string?>("--on-complete")
        {
            Description = "Program run when a torrent completes, as --on-added (qBittorrent's autorun_program, Transmission's script-torrent-done)",
            HelpName = "PROGRAM",
        }.Each(v => WebServerOptions.CommandLineProblem(v) is { } problem ? $"--on-complete: {problem}" : null);
        var webhook = new Option<string?>("--webhook")
        {
            Description = "http(s) URL sent a POST of JSON when a torrent is added, gets its metadata, completes or fails (saved)",
            HelpName = "URL",
        }.Each(v => WebServerOptions.WebhookProblem(v) is { } problem ? $"--webhook: {problem}" : null);
        command.Options.Add(onAdded);
        command.Options.Add(onComplete);
        command.Options.Add(webhook);
        return command.WithAction(async (parse, ct) =>
        {
            // Under systemd: lines in the journal's form, and readiness, reloads and the stop told to NOTIFY_SOCKET.
            if (JournalWriter.UnderJournal) JournalWriter.Install();
            using var systemd = SystemdNotifier.FromEnvironment();
            var options = new WebServerOptions
            {
                Downloads = Path.GetFullPath(parse.GetValue(downloads)!),
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                Token = parse.GetValue(token),
                RequireToken = parse.GetValue(token) is not null, // a token given is a token required, on loopback too
                AllowedHosts = parse.GetValue(allowedHosts) ?? [],
                BasePath = parse.GetValue(basePath),
                PeerPort = parse.GetValue(peerPort),
                MaxConnections = parse.GetValue(maxPeers),
                Dht = parse.GetValue(noDht) ? false : null, // not given: as the last run saved it (on by default)
                DhtBootstrap = parse.GetValue(bootstrap) is { Length: > 0 } nodes ? DownloadSettings.ReadBootstrap(nodes) : null,
                Lsd = parse.GetValue(lsd), // asked for at each start, never saved: it multicasts to the whole LAN
                PortMapping = parse.GetValue(noPortMapping) ? PortMapping.PortMappingProtocols.None // not given: as the last run saved it
                    : parse.GetValue(portMapping) || parse.GetValue(portMappingProtocols) is not null
                        ? DownloadSettings.ReadPortMapping(true, parse.GetValue(portMappingProtocols)) : null,
                Proxy = DownloadSettings.ReadProxy(parse.GetValue(proxy), parse.GetValue(proxyOnly)),
                MaxActiveDownloads = parse.GetValue(maxActive),
                SeedAfterDownload = parse.GetValue(seed) || parse.GetValue(seedRatio) is not null || parse.GetValue(seedTime) is not null,
                SeedRatio = parse.GetValue(seedRatio),
                Encryption = DownloadSettings.ParseEncryption(parse.GetValue(encryption)),
                PeerBindAddresses = DownloadSettings.ParseBind(parse.GetValue(bind)),
                PeerBindInterface = parse.GetValue(bindInterface),
                MaxDownloadRate = parse.GetValue(maxDownloadRate),
                MaxUploadRate = parse.GetValue(maxUploadRate),
                TransmissionWeb = parse.GetValue(transmissionWeb),
                WatchFolder = parse.GetValue(watch) is { } folder ? Path.GetFullPath(folder) : null,
                WatchDelete = parse.GetValue(watchDelete) ? true : null,
                KeepFree = parse.GetValue(keepFree),
                OnAdded = parse.GetValue(onAdded),
                OnComplete = parse.GetValue(onComplete),
                Webhook = parse.GetValue(webhook),
                Blocklist = parse.GetValue(blocklist) is { } list ? (list.Contains("://", StringComparison.Ordinal) ? list : Path.GetFullPath(list)) : null,
                BanClients = parse.GetValue(banClient) is { Length: > 0 } rules ? rules : null,
                Log = line => Console.Error.WriteLine(line),
            };
            // The numbers were checked where they were parsed (OptionRules); what is left needs the file system or two options.
            foreach (var rule in options.BanClients ?? [])
                if (TorrentLab.Downloads.ClientBanList.Problem(rule) is { } problem) throw new UsageException($"--ban-client: {problem}");
            if (parse.GetValue(seedTime) is { } seedLimit) options = options with { SeedTime = seedLimit };
            if (options.TransmissionWeb is { } web && !File.Exists(Path.Combine(web, "index.html")))
                throw new UsageException($"--transmission-web expects the folder of Transmission's web client (with its index.html), got '{web}'");
            if (parse.GetValue(noPortMapping) && (parse.GetValue(portMapping) || parse.GetValue(portMappingProtocols) is not null))
                throw new UsageException("--no-port-mapping contradicts --port-mapping and --port-mapping-protocols: give one");
            if (options.Proxy is { Only: true } && options.Lsd)
                throw new UsageException("--lsd contradicts --proxy-only: local service discovery is multicast on the local network, which cannot go through a proxy");
            if (options.Proxy is { Only: true } && options.PortMapping is not (null or PortMapping.PortMappingProtocols.None))
                throw new UsageException("--port-mapping contradicts --proxy-only: it asks the router directly to open a port for incoming peers");
            if (options.PeerBindInterface is { } name && parse.GetValue(bind) is { Length: > 0 })
                throw new UsageException($"--bind contradicts --bind-interface: the peer port listens on the addresses of {name}");
            if (options.PeerBindInterface is { } bound && options.PortMapping is not (null or PortMapping.PortMappingProtocols.None))
                throw new UsageException($"--port-mapping contradicts --bind-interface: it asks the router on the default route, not through {bound}");
            if (options.Host != "localhost" && !System.Net.IPAddress.TryParse(options.Host.Trim('[', ']'), out _))
                throw new UsageException($"--host expects an IP address or 'localhost', got '{options.Host}'");
            if (options.AllowedHosts.FirstOrDefault(name => !WebServerOptions.IsHostName(name)) is { } bad)
                throw new UsageException($"--allowed-host expects a host name or IP address without a port, got '{bad}'");
            if (options.RequiresToken && string.IsNullOrEmpty(options.Token)) options = options with { Token = TokenGate.Generate() };

            // SIGHUP reloads the saved settings (systemctl reload); it is taken before the server starts, so an early
            // one waits for the start instead of ending the process. Also when it came ignored (nohup): kill -HUP reloads.
            CliApp.DefaultDisposition(1); // POSIX: SIGHUP is 1 on every Unix
            var reloads = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
            using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                reloads.Writer.TryWrite(true);
            });
            // Made before the server loads its saved torrents: a restart's burst happens inside StartAsync, and a
            // settler made after it counted from the burst's end, never saw it, and never gave its memory back.
            using var settler = new HeapSettler(TimeProvider.System); // the memory of a start or restart, given back once idle
            // One process per list: a second serve, or an import from the command line, is refused while this one runs.
            using var listLock = TorrentLab.Web.ServeListLock.Take(options.Downloads)
                ?? throw new TorrentLab.Web.ListInUseException($"the serve list of '{options.Downloads}' is in use by another torrentlab serve or import");
            var server = await WebServer.StartAsync(options, ct).ConfigureAwait(false);
            try
            {
                listLock.Announce(server.Url, server.Token); // where 'torrentlab add' reaches it (serve.json beside the lock, its user's alone)
                var page = server.Token is null ? server.Url + "/" : $"{server.Url}/?token={server.Token}";
                Console.Out.WriteLine($"serving {page}  (API docs: {server.Url}/docs; downloads in {options.Downloads})");
                if (options.Proxy is { } through)
                    Console.Out.WriteLine(through.Only
                        ? $"every connection goes through the proxy {through}; no incoming connections (proxy only)"
                        : $"connections out go through the proxy {through}");
                if (options.Proxy is not { Only: true })
                    Console.Out.WriteLine(server.PortMapping
                    ? $"peers reach every torrent on port {server.PeerPort} (TCP and UDP; the router is asked to forward it)"
                    : $"peers reach every torrent on port {server.PeerPort} (TCP and UDP; forward it on a router, or start with --port-mapping)");
                if (server.Token is not null) Console.Out.WriteLine($"token: {server.Token}  (send 'Authorization: Bearer <token>' to the API)");
                Console.Out.WriteLine("press Ctrl-C to stop; running torrents resume on the next start");
                systemd?.Ready($"serving {server.Url}/; peers on port {server.PeerPort}");
                while (true)
                {
                    await reloads.Reader.ReadAsync(ct).ConfigureAwait(false);
                    systemd?.Reloading();
                    Console.Error.WriteLine("reloading: the saved settings (SIGHUP)");
                    foreach (var line in await server.ReloadAsync(ct).ConfigureAwait(false)) Console.Error.WriteLine(line);
                    systemd?.Ready($"serving {server.Url}/; peers on port {server.PeerPort}; settings reloaded");
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                systemd?.Stopping();
                Console.Error.WriteLine("stopping: pausing torrents and saving their ledgers");
            }
            finally
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
            Console.Error.WriteLine("stopped: the torrent list and ledgers are saved"); // the closing line: nothing runs after it
            return ExitCodes.Ok; // Ctrl-C is how a server is meant to stop
        });
    }
}
