namespace TorrentLab.Downloads;

/// <summary>The one check of every value a caller sets on <see cref="SessionSettings"/> and <see cref="DownloadOptions"/>:
/// a value the engine cannot honour (a negative timeout, no upload slot, an unknown policy) is refused with an
/// <see cref="ArgumentException"/> naming the setting, before anything is bound, opened or written.</summary>
internal static class SettingsCheck
{
    /// <summary>Refuses a session setting out of range (called by <see cref="Swarm.Session.Start"/>).</summary>
    /// <exception cref="ArgumentException">A setting out of range, with its name.</exception>
    public static void Check(SessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.ListenPort is < 0 or > 65535)
            throw Bad(nameof(SessionSettings.ListenPort), $"a port is 0 (any free one) to 65535, got {settings.ListenPort}");
        if (settings.BindAddresses is null || settings.BindAddresses.Count == 0 || settings.BindAddresses.Any(a => a is null))
            throw Bad(nameof(SessionSettings.BindAddresses), "give at least one local address to listen on (:: for every interface)");
        if (settings.DhtBootstrap is null || settings.DhtBootstrap.Any(string.IsNullOrWhiteSpace))
            throw Bad(nameof(SessionSettings.DhtBootstrap), "each bootstrap node is HOST:PORT (an empty list is allowed)");
        Defined(settings.Encryption, nameof(SessionSettings.Encryption));
        Defined(settings.Transport, nameof(SessionSettings.Transport));
        Defined(settings.PeerScope, nameof(SessionSettings.PeerScope));
        if (settings.Proxy is { } proxy)
        {
            if ((proxy.UserName is null) != (proxy.Password is null)
                || proxy.UserName is { } user && System.Text.Encoding.UTF8.GetByteCount(user) is 0 or > 255
                || proxy.Password is { } password && System.Text.Encoding.UTF8.GetByteCount(password) is 0 or > 255)
                throw Bad(nameof(SessionSettings.Proxy), "a SOCKS5 user name and password go together, 1 to 255 bytes each (RFC 1929)");
            if (proxy.Only && settings.Lsd)
                throw Bad(nameof(SessionSettings.Lsd), "local service discovery is multicast on the local network, which cannot go through the proxy (proxy only)");
            if (proxy.Only && settings.PortMapping != PortMapping.PortMappingProtocols.None)
                throw Bad(nameof(SessionSettings.PortMapping), "port mapping talks to the router directly and opens a port for incoming peers, which proxy only forbids");
        }
        if (settings.BindInterface is { } name)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > 15 || name.Any(c => char.IsWhiteSpace(c) || c is '/' or '\0'))
                throw Bad(nameof(SessionSettings.BindInterface), $"an interface name is 1 to 15 characters without spaces or '/' (as ip link shows it), got '{name}'");
            if (settings.BindAddresses is { Count: > 0 } bind && !(bind.Count == 1 && bind[0].Equals(System.Net.IPAddress.IPv6Any)))
                throw Bad(nameof(SessionSettings.BindAddresses), $"the session listens on the addresses of interface {name} (BindInterface); name no address besides");
            if (settings.PortMapping != PortMapping.PortMappingProtocols.None)
                throw Bad(nameof(SessionSettings.PortMapping), $"port mapping asks the router on the default route, which traffic bound to interface {name} does not use");
        }
        if ((settings.PortMapping & ~PortMapping.PortMappingProtocols.All) != 0)
            throw Bad(nameof(SessionSettings.PortMapping), $"expected None or a combination of Upnp, NatPmp and Pcp, got {settings.PortMapping}");
        AtLeast(settings.MaxConnections, 1, nameof(SessionSettings.MaxConnections));
        AtLeast(settings.GlobalUploadSlots, 1, nameof(SessionSettings.GlobalUploadSlots));
        AtLeast(settings.MaxOpenFiles, 0, nameof(SessionSettings.MaxOpenFiles));
        Positive(settings.ConnectTimeout, nameof(SessionSettings.ConnectTimeout));
        Positive(settings.HandshakeTimeout, nameof(SessionSettings.HandshakeTimeout));
        Positive(settings.IdleTimeout, nameof(SessionSettings.IdleTimeout));
    }

    /// <summary>Refuses a torrent setting out of range (called wherever a torrent starts: download, seed, session add).</summary>
    /// <exception cref="ArgumentException">A setting out of range, with its name.</exception>
    public static void Check(DownloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.OutputDirectory))
            throw Bad(nameof(DownloadOptions.OutputDirectory), "give the folder files are written below");
        AtLeast(options.MaxPeers, 1, nameof(DownloadOptions.MaxPeers));
        Defined(options.Engine, nameof(DownloadOptions.Engine));
        if (options.RequestsPerPeer is { } requests) AtLeast(requests, 1, nameof(DownloadOptions.RequestsPerPeer));
        if (options.StallTimeout is { } stall) Positive(stall, nameof(DownloadOptions.StallTimeout));
        Positive(options.LedgerInterval, nameof(DownloadOptions.LedgerInterval));
        Positive(options.RequestTimeout, nameof(DownloadOptions.RequestTimeout));
        if (options.IdlePeerGrace < TimeSpan.Zero)
            throw Bad(nameof(DownloadOptions.IdlePeerGrace), $"expected zero or more, got {options.IdlePeerGrace}");
        Positive(options.SnubTimeout, nameof(DownloadOptions.SnubTimeout));
        AtLeast(options.UploadSlots, 1, nameof(DownloadOptions.UploadSlots));
        if (options.SeedRatio is { } ratio && !(ratio >= 0 && double.IsFinite(ratio)))
            throw Bad(nameof(DownloadOptions.SeedRatio), $"expected a ratio of zero or more, got {ratio}");
        if (options.SeedTime is { } time && time < TimeSpan.Zero)
            throw Bad(nameof(DownloadOptions.SeedTime), $"expected zero or more, got {time}");
        if (options.SeedIdleTime is { } idle && idle < TimeSpan.Zero)
            throw Bad(nameof(DownloadOptions.SeedIdleTime), $"expected zero or more, got {idle}");
        if (options.ExtraPeers is null || options.ExtraPeers.Any(p => p is null))
            throw Bad(nameof(DownloadOptions.ExtraPeers), "give a list of peer addresses (it may be empty)");
    }

    private static void AtLeast(int value, int least, string name)
    {
        if (value < least) throw Bad(name, $"expected at least {least}, got {value}");
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw Bad(name, $"expected a time longer than zero, got {value}");
    }

    private static void Defined<T>(T value, string name) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw Bad(name, $"expected one of {string.Join(", ", Enum.GetNames<T>())}, got {value}");
    }

    private static ArgumentException Bad(string name, string why) => new($"{name}: {why}", name);
}
