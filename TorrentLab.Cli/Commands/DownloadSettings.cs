using System.CommandLine;
using System.Net;
using TorrentLab.Cli.Display;
using TorrentLab.Downloads;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Cli.Commands;

/// <summary>The options every downloading command shares (--output, --no-resume, --trace, ...), defined once.</summary>
internal sealed class DownloadSettings
{
    /// <summary>The give-up limit of the classroom commands and the demo: a student's run must end.</summary>
    public static readonly TimeSpan ClassroomStall = TimeSpan.FromSeconds(60);

    private readonly TimeSpan? _defaultStall;

    /// <param name="classroom">True for the classroom step commands and the demo: without <c>--stall-timeout</c> they
    /// give up after <see cref="ClassroomStall"/>; the main download waits for peers until Ctrl-C.</param>
    public DownloadSettings(bool classroom = false) => _defaultStall = classroom ? ClassroomStall : null;

    public Option<bool> NoResume { get; } = new("--no-resume") { Description = "Ignore the resume ledger and start fresh" };
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No progress display" };
    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Log protocol events (peers, failures) and per-peer rates" };
    public Option<string?> LogFile { get; } = new Option<string?>("--log-file") { Description = "Append the protocol log (what -v shows), each line with date and time, to FILE" }.FileNotFolder();
    public Option<bool> Trace { get; } = new("--trace") { Description = "Print every wire message exchanged with each peer on stderr" };
    public Option<bool> TraceBytes { get; } = new("--trace-bytes") { Description = "With --trace, add the hex of each message's first bytes" };
    public Option<int> MaxPeers { get; } = MaxPeersOption("Peers connected at once; 1 runs the single-peer reference path");

    /// <summary><c>-m/--max-peers N</c>: 1 or more, default 50 (help states it once, as its <c>[default: 50]</c>).</summary>
    public static Option<int> MaxPeersOption(string description) =>
        new Option<int>("--max-peers", "-m") { Description = description, DefaultValueFactory = _ => 50 }.InRange(1, int.MaxValue);
    public Option<int?> Port { get; } = PortOption();

    /// <summary>The peer port when the command line names none (BEP 3: "typically 6881-6889").</summary>
    public const int DefaultPort = 6881;

    /// <summary><c>-p/--port</c>: the peer port. A port given is bound or the command fails (exit 10); only the default
    /// moves to 6882-6889, then any free port, when taken.</summary>
    public static Option<int?> PortOption() => new Option<int?>("--port", "-p")
    {
        Description = $"Port to listen on for peers, TCP and UDP (0: any free one). Default {DefaultPort}, or 6882-6889 or any free port when it is taken; a port given is used or the command fails (exit 10)",
    }.Port();
    public Option<string[]> Trackers { get; } = new Option<string[]>("--tracker") { Description = "Use this tracker URL instead of the torrent's (repeatable)", AllowMultipleArgumentsPerToken = false }.TrackerUrls();
    public Option<string[]> Peers { get; } = new Option<string[]>("--peer") { Description = "Also try this peer, HOST:PORT or [IPv6]:PORT (repeatable)" }.Each(v => PeerAddress.Check(v, "--peer"));
    public Option<string> PeerScope { get; } = PeerScopeOption();
    public Option<bool> Overwrite { get; } = new("--overwrite") { Description = "Overwrite existing files that are not this torrent's data (by default the download stops)" };
    public Option<string> Encryption { get; } = EncryptionOption();
    public Option<string[]> Bind { get; } = BindOption();
    public Option<TimeSpan?> StallTimeout { get; } = StallTimeoutOption("Give up (exit 1) after this long without data, e.g. 90s, 10m (a bare number is seconds); by default the main download waits for peers until Ctrl-C, the classroom commands give up after 60s");

    /// <summary><c>--stall-timeout DURATION</c>: above 0, a bare number in seconds.</summary>
    public static Option<TimeSpan?> StallTimeoutOption(string description) =>
        Duration.Create("--stall-timeout", description, TimeSpan.FromSeconds(1), allowZero: false);

    /// <summary><c>--peer-scope any|private|loopback</c>, in lowercase like every other choice (its default shown as
    /// <c>[default: any]</c>).</summary>
    private static Option<string> PeerScopeOption() => ChoiceOption("--peer-scope",
        "Dial only these peer addresses: any, private (LAN and loopback) or loopback", "any", "private", "loopback");

    /// <summary>The scope named by <c>--peer-scope</c>.</summary>
    public static PeerScope ParsePeerScope(string? value) => value switch
    {
        "private" => Tracker.PeerScope.Private,
        "loopback" => Tracker.PeerScope.Loopback,
        _ => Tracker.PeerScope.Any,
    };

    /// <summary><c>--bind ADDR</c> (repeatable): the local addresses to listen on; default <c>::</c> (IPv4 and IPv6).</summary>
    public static Option<string[]> BindOption() => new Option<string[]>("--bind")
    {
        Description = "Local address to listen on for peers (repeatable; default :: = every interface, IPv4 and IPv6)",
        AllowMultipleArgumentsPerToken = false,
    }.Each(v => IPAddress.TryParse(v.Trim('[', ']'), out _) ? null : $"--bind expects an IP address such as 0.0.0.0, :: or ::1, got '{v}'");

    /// <summary>The addresses named by <c>--bind</c>, or the dual-stack default when none.</summary>
    /// <exception cref="UsageException">A value is not an IP address.</exception>
    public static IReadOnlyList<IPAddress> ParseBind(string[]? values)
    {
        if (values is null || values.Length == 0) return [IPAddress.IPv6Any];
        return [.. values.Select(v => IPAddress.TryParse(v.Trim('[', ']'), out var address) ? address
            : throw new UsageException($"--bind expects an IP address such as 0.0.0.0, :: or ::1, got '{v}'"))];
    }

    public Option<string?> BindInterface { get; } = BindInterfaceOption();

    /// <summary><c>--bind-interface NAME</c>: everything the session sends goes out from one interface, nothing while it is down.</summary>
    public static Option<string?> BindInterfaceOption() => new Option<string?>("--bind-interface")
    {
        Description = "Send everything (peers, trackers, DHT, web seeds) from this network interface only, e.g. tun0 or wg0, following its addresses; " +
            "while it is down or gone nothing is sent, and all resumes when it is back (a VPN's kill switch). Not with --bind nor --port-mapping",
        HelpName = "NAME",
    }.Each(v => v.Length is >= 1 and <= 15 && !v.Any(c => char.IsWhiteSpace(c) || c == '/') ? null
        : $"--bind-interface expects an interface name as ip link shows it (1 to 15 characters, no spaces or '/'), got '{v}'");

    /// <summary>Refuses what <c>--bind-interface</c> contradicts, naming the options.</summary>
    /// <exception cref="UsageException"><c>--bind</c> or <c>--port-mapping</c> with <c>--bind-interface</c>.</exception>
    public static void CheckBindInterface(SessionSettings session)
    {
        if (session.BindInterface is not { } name) return;
        if (!(session.BindAddresses.Count == 1 && session.BindAddresses[0].Equals(IPAddress.IPv6Any)))
            throw new UsageException($"--bind contradicts --bind-interface: the peer port listens on the addresses of {name}");
        if (session.PortMapping != PortMapping.PortMappingProtocols.None)
            throw new UsageException($"--port-mapping contradicts --bind-interface: it asks the router on the default route, not through {name}");
    }

    public Option<string> Transport { get; } = TransportOption();

    /// <summary><c>--transport both|tcp|utp</c>: which transports carry peer connections (default both, uTP dialled first).</summary>
    public static Option<string> TransportOption() => ChoiceOption("--transport",
        "Peer transports: both (dial uTP first, TCP too after 250 ms (25 ms on this host or the LAN), first to connect wins; accept both on the same port number), tcp, or utp",
        "both", "tcp", "utp");

    /// <summary>The transports named by <c>--transport</c>.</summary>
    public static PeerTransport ParseTransport(string? value) => value switch
    {
        "tcp" => PeerTransport.Tcp,
        "utp" => PeerTransport.Utp,
        _ => PeerTransport.Both,
    };

    public Option<string?> Proxy { get; } = ProxyOption();
    public Option<bool> ProxyOnly { get; } = ProxyOnlyOption();

    /// <summary><c>--proxy socks5://[user:password@]host:port</c>: every connection through a SOCKS5 proxy.</summary>
    public static Option<string?> ProxyOption() => new Option<string?>("--proxy")
    {
        Description = "Connect to peers, trackers and web seeds through this SOCKS5 proxy (uTP, the DHT and UDP trackers by its UDP relay); " +
            "a user name and password as user:password@ (RFC 1929)",
        HelpName = "socks5://[user:password@]host:port",
    }.Each(v => ParseProxy(v, out var error) is null ? error : null);

    /// <summary><c>--proxy-only</c>: nothing goes direct.</summary>
    public static Option<bool> ProxyOnlyOption() => new("--proxy-only")
    {
        Description = "With --proxy: nothing goes direct (no incoming connections, no --lsd nor --port-mapping, no UDP unless the proxy relays it)",
    };

    /// <summary>The proxy <c>--proxy</c> and <c>--proxy-only</c> ask for, or null.</summary>
    /// <exception cref="UsageException">Not a socks5 URL, or <c>--proxy-only</c> without <c>--proxy</c>.</exception>
    public static TorrentLab.Proxy.Socks5Proxy? ReadProxy(string? url, bool only)
    {
        if (url is null)
            return only ? throw new UsageException("--proxy-only needs --proxy socks5://[user:password@]host:port") : null;
        var proxy = ParseProxy(url, out var error) ?? throw new UsageException(error!);
        return proxy with { Only = only };
    }

    /// <summary>A socks5 URL; null with the error line (the password never in it) otherwise.</summary>
    public static TorrentLab.Proxy.Socks5Proxy? ParseProxy(string url, out string? error)
    {
        try
        {
            error = null;
            return TorrentLab.Proxy.Socks5Proxy.Parse(url);
        }
        catch (FormatException e)
        {
            error = $"--proxy: {e.Message}";
            return null;
        }
    }

    /// <summary>Refuses what <c>--proxy-only</c> forbids, naming the options.</summary>
    /// <exception cref="UsageException"><c>--lsd</c> or <c>--port-mapping</c> with <c>--proxy-only</c>.</exception>
    public static void CheckProxyOnly(SessionSettings session)
    {
        if (session.Proxy is not { Only: true }) return;
        if (session.Lsd) throw new UsageException("--lsd contradicts --proxy-only: local service discovery is multicast on the local network, which cannot go through a proxy");
        if (session.PortMapping != PortMapping.PortMappingProtocols.None)
            throw new UsageException("--port-mapping contradicts --proxy-only: it asks the router directly to open a port for incoming peers");
    }

    public Option<string?> Blocklist { get; } = BlocklistOption();

    /// <summary><c>--blocklist FILE|URL</c>: address ranges never connected to, either way.</summary>
    public static Option<string?> BlocklistOption() => new Option<string?>("--blocklist")
    {
        Description = "Never connect to peers in these address ranges, either way: a file or http(s) URL of a P2P (name:first-last), "
            + "eMule .dat or CIDR list, plain or gzip, IPv4 and IPv6 (malformed lines are counted and skipped)",
        HelpName = "FILE|URL",
    }.Each(v => v.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || v.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
        ? (Uri.TryCreate(v, UriKind.Absolute, out _) ? null : $"--blocklist expects a file or an http(s) URL, got '{v}'")
        : Directory.Exists(v) ? $"--blocklist expects a file or an http(s) URL, got the folder '{v}'"
        : v.Contains("://", StringComparison.Ordinal) ? $"--blocklist expects a file or an http(s) URL, got '{v}'"
        : File.Exists(v) ? null : $"--blocklist: no such file '{v}'");

    /// <summary>The list <paramref name="source"/> names, loaded (null when none is named); its size goes to
    /// <paramref name="log"/>, and malformed lines, when some were skipped, to stderr as one warning.</summary>
    /// <exception cref="Tracker.BlocklistException">Not a blocklist.</exception>
    /// <exception cref="Client.TorrentUrlException">The URL was refused or could not be fetched.</exception>
    public static async Task<IpBlocklist?> LoadBlocklistAsync(string? source, Action<string>? log, CancellationToken ct,
        TorrentLab.Proxy.Socks5Proxy? proxy = null)
    {
        if (source is null) return null;
        var list = new IpBlocklist();
        var read = await Client.TorrentClient.LoadBlocklistAsync(list, source, proxy, ct).ConfigureAwait(false);
        log?.Invoke($"blocklist {source}: {read}");
        if (read.SkippedLines > 0)
            Console.Error.WriteLine($"warning: blocklist {UntrustedText.Clean(source, 200)}: {read.SkippedLines} malformed lines skipped, the first is line {read.FirstSkippedLine}");
        return list;
    }

    private (string Source, IpBlocklist? List)? _blocklist;

    public Option<bool> NoDht { get; } = NoDhtOption();
    public Option<string[]> DhtBootstrap { get; } = DhtBootstrapOption();
    public Option<bool> Lsd { get; } = LsdOption();

    /// <summary><c>--lsd</c>: local service discovery (BEP 14), off unless asked; never for private torrents (BEP 27).</summary>
    public static Option<bool> LsdOption() => new("--lsd")
    {
        Description = "Find peers on the local network and announce there: multicast to 239.192.152.143:6771 and [ff15::efc0:988f]:6771 (BEP 14; off by default, never for private torrents)",
    };

    /// <summary><c>--port-mapping</c>: ask the router to forward the peer port (UPnP IGD, PCP, NAT-PMP); off unless asked.</summary>
    public static Option<bool> PortMappingOption() => new("--port-mapping")
    {
        Description = "Ask the router to forward the peer port, TCP and UDP (UPnP IGD, PCP and NAT-PMP; off by default): renewed while running, " +
            "removed at exit; trackers and the DHT are told the external port",
    };

    /// <summary><c>--port-mapping-protocols LIST</c>: which protocols port mapping speaks (implies <c>--port-mapping</c>).</summary>
    public static Option<string?> PortMappingProtocolsOption() => new Option<string?>("--port-mapping-protocols")
    {
        Description = "Port mapping with only these protocols, comma-separated: upnp, natpmp, pcp (implies --port-mapping; default all three)",
        HelpName = "upnp,natpmp,pcp",
    }.Each(v => ParsePortMappingProtocols(v, out var error) is null ? error : null);

    /// <summary>The protocols <c>--port-mapping</c> and <c>--port-mapping-protocols</c> ask for: none, all three, or the
    /// list given.</summary>
    /// <exception cref="UsageException">A word of the list is not a protocol.</exception>
    public static PortMapping.PortMappingProtocols ReadPortMapping(bool on, string? protocols)
    {
        if (protocols is not null)
            return ParsePortMappingProtocols(protocols, out var error) ?? throw new UsageException(error!);
        return on ? PortMapping.PortMappingProtocols.All : PortMapping.PortMappingProtocols.None;
    }

    /// <summary>A comma-separated list of upnp, natpmp and pcp (any case); null with the error line otherwise.</summary>
    public static PortMapping.PortMappingProtocols? ParsePortMappingProtocols(string list, out string? error)
    {
        var protocols = PortMapping.PortMappingProtocols.None;
        foreach (var word in list.Split(',', StringSplitOptions.TrimEntries))
        {
            var one = word.ToLowerInvariant() switch
            {
                "upnp" => PortMapping.PortMappingProtocols.Upnp,
                "natpmp" or "nat-pmp" => PortMapping.PortMappingProtocols.NatPmp,
                "pcp" => PortMapping.PortMappingProtocols.Pcp,
                _ => PortMapping.PortMappingProtocols.None,
            };
            if (one == PortMapping.PortMappingProtocols.None)
            {
                error = $"--port-mapping-protocols expects a comma-separated list of upnp, natpmp and pcp, got '{list}'";
                return null;
            }
            protocols |= one;
        }
        error = null;
        return protocols;
    }

    /// <summary><c>--no-dht</c>: no DHT peer source (BEP 5); a private torrent never uses it anyway (BEP 27).</summary>
    public static Option<bool> NoDhtOption() => new("--no-dht") { Description = "Do not use the DHT to find peers (it is on by default, never for private torrents)" };

    /// <summary><c>--dht-bootstrap HOST:PORT</c> (repeatable): the DHT's bootstrap nodes instead of the public routers.</summary>
    public static Option<string[]> DhtBootstrapOption() => new Option<string[]>("--dht-bootstrap")
    {
        Description = $"Join the DHT through this node, HOST:PORT (repeatable; default {string.Join(", ", Dht.DhtNodeOptions.PublicRouters)})",
        AllowMultipleArgumentsPerToken = false,
    }.Each(v => PeerAddress.Check(v, "--dht-bootstrap"));

    /// <summary>The bootstrap nodes <c>--dht-bootstrap</c> names (checked: HOST:PORT with a port in 1..65535), or the defaults.</summary>
    /// <exception cref="UsageException">A value is not HOST:PORT.</exception>
    public static IReadOnlyList<string> ReadBootstrap(string[]? values)
    {
        if (values is null || values.Length == 0) return Dht.DhtNodeOptions.PublicRouters;
        foreach (var value in values)
            if (PeerAddress.Check(value, "--dht-bootstrap") is { } error) throw new UsageException(error);
        return values;
    }

    /// <summary><c>--encryption prefer|require|off</c>: MSE/PE protocol encryption (default prefer).</summary>
    public static Option<string> EncryptionOption() => ChoiceOption("--encryption",
        "Protocol encryption (MSE/PE): prefer (encrypted first, plaintext if refused; accept both), require (RC4 only), off",
        "prefer", "require", "off");

    /// <summary>An option that takes one of <paramref name="choices"/>, in any case; the first is the default (shown as
    /// <c>[default: first]</c>, lowercase like the choices), and a wrong word is named with the option.</summary>
    private static Option<string> ChoiceOption(string name, string description, params string[] choices)
    {
        var option = new Option<string>(name)
        {
            Description = description,
            HelpName = string.Join('|', choices),
            DefaultValueFactory = _ => choices[0],
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 0 ? choices[0] : result.Tokens[0].Value;
                if (choices.FirstOrDefault(c => c.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } choice) return choice;
                result.AddError($"{name} expects {string.Join(", ", choices[..^1])} or {choices[^1]}, got '{text}'");
                return choices[0];
            },
        };
        option.CompletionSources.Clear();
        option.CompletionSources.Add(choices);
        return option;
    }

    /// <summary>The policy named by <c>--encryption</c>.</summary>
    public static EncryptionPolicy ParseEncryption(string? value) => value switch
    {
        "require" => EncryptionPolicy.Require,
        "off" => EncryptionPolicy.Off,
        _ => EncryptionPolicy.Prefer,
    };

    /// <summary>Adds the shared options to a command.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { NoResume, Quiet, Verbose, LogFile, Trace, TraceBytes, MaxPeers, Port, Trackers, Peers, Overwrite, PeerScope, Encryption, Transport, Bind, BindInterface, StallTimeout, NoDht, DhtBootstrap, Lsd, Blocklist, Proxy, ProxyOnly })
            command.Options.Add(option);
    }

    /// <summary>Adds the options that mean something to a download from a built-in swarm (the demo): how it is shown,
    /// the engine's peer limit, encryption and the give-up time. Its port, address, peers, trackers, DHT and resume are
    /// the demo's own, so they are not offered.</summary>
    public void AddDisplayAndEngineTo(Command command)
    {
        foreach (var option in new Option[] { Quiet, Verbose, LogFile, Trace, TraceBytes, MaxPeers, Encryption, StallTimeout })
            command.Options.Add(option);
    }

    /// <summary>Checks the values (validators do not see option defaults, so this runs in the action).</summary>
    /// <exception cref="UsageException">A value is out of range.</exception>
    private void Check(ParseResult parse)
    {
        if (parse.GetValue(MaxPeers) == 1) CheckReferencePath(parse, "--max-peers 1 runs the reference path");
        foreach (var peer in parse.GetValue(Peers) ?? [])
            if (PeerAddress.Check(peer, "--peer") is { } error) throw new UsageException(error);
    }

    /// <summary>Refuses what the single-peer reference path would accept and not do: it speaks TCP only,
    /// joins no session, so hears no local peer, and listens on no address (it only dials).</summary>
    /// <param name="why">What runs the reference path, for the message: <c>--max-peers 1 runs the reference path</c>.</param>
    /// <exception cref="UsageException">uTP only, <c>--lsd</c> or <c>--bind</c>.</exception>
    public void CheckReferencePath(ParseResult parse, string why)
    {
        if (ParseTransport(parse.GetValue(Transport)) == PeerTransport.Utp)
            throw new UsageException($"--transport utp needs the swarm engine; {why}, which speaks TCP only");
        if (parse.GetValue(Lsd))
            throw new UsageException($"--lsd needs the swarm engine; {why}, which joins no session and hears no local peer");
        if (parse.GetValue(Bind) is { Length: > 0 })
            throw new UsageException($"--bind needs the swarm engine; {why}, which listens on no address (it only dials)");
        if (parse.GetValue(BindInterface) is not null)
            throw new UsageException($"--bind-interface needs the swarm engine; {why}, which joins no session");
    }

    /// <summary>The download options the command line asks for, with the settings of the session the download makes
    /// for itself (<see cref="DownloadOptions.Session"/>): for a download run on its own (the classroom commands, the
    /// single-peer story).</summary>
    public DownloadOptions Read(ParseResult parse, string outputDirectory) => ReadTorrent(parse, outputDirectory) with { Session = ReadSession(parse) };

    /// <summary>The settings of the session the command line asks for: port, addresses, encryption, transports, the
    /// DHT, LSD and where the session logs.</summary>
    public SessionSettings ReadSession(ParseResult parse)
    {
        Check(parse);
        var log = Log(parse);
        var session = new SessionSettings
        {
            PeerScope = ParsePeerScope(parse.GetValue(PeerScope)),
            ListenPort = parse.GetValue(Port) ?? DefaultPort,
            // Only the default port may fall back; a port the user named is a promise (bound, or exit 10).
            PortFallback = parse.GetValue(Port) is null,
            Encryption = ParseEncryption(parse.GetValue(Encryption)),
            BindAddresses = ParseBind(parse.GetValue(Bind)),
            BindInterface = parse.GetValue(BindInterface),
            Transport = ParseTransport(parse.GetValue(Transport)),
            Dht = !parse.GetValue(NoDht),
            DhtBootstrap = ReadBootstrap(parse.GetValue(DhtBootstrap)),
            Lsd = parse.GetValue(Lsd),
            Blocklist = ReadBlocklist(parse, log),
            Proxy = ReadProxy(parse.GetValue(Proxy), parse.GetValue(ProxyOnly)),
            LoggerFactory = LineLogger.For(log), // the session's lines and, through it, the torrent's
        };
        CheckProxyOnly(session);
        CheckBindInterface(session);
        return session;
    }

    /// <summary>The torrent's own options the command line asks for (no session settings: a torrent added to a
    /// <see cref="TorrentLab.Client.TorrentSession"/> takes the session's).</summary>
    public DownloadOptions ReadTorrent(ParseResult parse, string outputDirectory)
    {
        Check(parse);
        var trace = parse.GetValue(Trace) || parse.GetValue(TraceBytes);
        var bytes = parse.GetValue(TraceBytes);
        var trackers = parse.GetValue(Trackers) ?? [];
        return new DownloadOptions
        {
            OutputDirectory = outputDirectory,
            Resume = !parse.GetValue(NoResume),
            Overwrite = parse.GetValue(Overwrite),
            MaxPeers = parse.GetValue(MaxPeers),
            Trackers = trackers.Length == 0 ? null : trackers.Select(url => (IReadOnlyList<string>)[url]).ToArray(),
            ExtraPeers = (parse.GetValue(Peers) ?? []).Select(peer => PeerAddress.Resolve(peer, "--peer")).ToArray(),
            StallTimeout = parse.GetValue(StallTimeout) ?? _defaultStall,
            // A magnet link waiting for its metadata says why, as the progress line does for a download waiting for peers.
            Waiting = IsQuiet(parse) || IsVerbose(parse) ? null : line => Console.Error.WriteLine(UntrustedText.Clean(line, 1000)),
            Trace = trace ? e => Console.Error.WriteLine(TraceLine(e, bytes)) : null,
        };
    }

    /// <summary>The list <c>--blocklist</c> names, loaded once per run (a magnet link's command reads its options twice).
    /// Read is synchronous: the load blocks the command's thread, which has nothing else to do before it.</summary>
    private IpBlocklist? ReadBlocklist(ParseResult parse, Action<string>? log)
    {
        if (parse.GetResult(Blocklist) is null || parse.GetValue(Blocklist) is not { } source) return null;
        if (_blocklist is { } loaded && loaded.Source == source) return loaded.List;
        var list = LoadBlocklistAsync(source, log, CancellationToken.None, ReadProxy(parse.GetValue(Proxy), parse.GetValue(ProxyOnly))).GetAwaiter().GetResult();
        _blocklist = (source, list);
        return list;
    }

    /// <summary>One trace line: time, peer, direction, message and fields (and the first bytes in hex).</summary>
    public static string TraceLine(WireTraceEvent e, bool bytes) =>
        $"{e.Time:HH:mm:ss.fff} {e.Peer} {e}" + (bytes ? $"  [{e.HeadHex}]" : "");

    public bool IsQuiet(ParseResult parse) => parse.GetValue(Quiet) || parse.GetValue(Trace) || parse.GetValue(TraceBytes);
    public bool IsVerbose(ParseResult parse) => parse.GetValue(Verbose);

    /// <summary>Protocol events, each line timestamped: to stderr with --verbose, to the file --log-file names; else
    /// nothing.</summary>
    /// <exception cref="IOException">The log file cannot be opened (before any work starts).</exception>
    public Action<string>? Log(ParseResult parse)
    {
        var verbose = IsVerbose(parse);
        var file = parse.GetValue(LogFile) is { } path ? LogFileWriter.For(path) : null;
        if (!verbose && file is null) return null;
        return line =>
        {
            var clean = UntrustedText.Clean(line, 1000); // lines quote peers and trackers
            var now = DateTimeOffset.Now;
            if (verbose) StderrLines.WriteLine(LogFileWriter.Short(now) + " " + clean);
            file?.WriteLine(LogFileWriter.Long(now) + " " + clean);
        };
    }
}
