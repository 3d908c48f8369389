using System.Net;

namespace TorrentLab.PortMapping;

/// <summary>What a <see cref="PortMapper"/> maps, where it asks, and whom it tells.</summary>
internal sealed record PortMapperOptions
{
    /// <summary>Our peer port (TCP and UDP alike).</summary>
    public required int InternalPort { get; init; }

    public PortMappingProtocols Protocols { get; init; } = PortMappingProtocols.All;

    /// <summary>Map the TCP port (peer connections) and the UDP one (uTP and the DHT).</summary>
    public bool Tcp { get; init; } = true;
    public bool Udp { get; init; } = true;

    /// <summary>The lease asked for, renewed half way (RFC 6886 3.3: "The client SHOULD begin trying to renew the
    /// mapping halfway to expiry time, like DHCP"); one hour, as libtorrent's <c>upnp_lease_duration</c>.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The router and our address on its link: the machine's default gateway
    /// (<see cref="PortMapping.Gateway.FindDefault"/>), or a test's router.</summary>
    public Gateway? Gateway { get; init; }

    /// <summary>The gateway's NAT-PMP and PCP port (a test's fake router listens elsewhere).</summary>
    public int NatPmpPort { get; init; } = NatPmpMessages.ServerPort;

    /// <summary>Where the SSDP search goes: the group, out of the gateway's interface (a test's fake device on loopback).</summary>
    public IPEndPoint SsdpTarget { get; init; } = SsdpMessages.Group;

    /// <summary>How long answers to a search are read: MX and a second.</summary>
    public TimeSpan SearchWindow { get; init; } = TimeSpan.FromSeconds(SsdpMessages.MaxWaitSeconds + 1);

    /// <summary>The waits and tries of a PCP or NAT-PMP request.</summary>
    public GatewayTiming Timing { get; init; } = GatewayTiming.Rfc6886;

    /// <summary>After a failure, the first wait before trying again; each further failure doubles it, up to
    /// <see cref="MaxRetry"/>.</summary>
    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromMinutes(1);
    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The longest the deletions at stop may take together (a stop must stay quick; the leases end the rest).</summary>
    public TimeSpan StopBudget { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The clock of renewals, retries, a request's resends and the search window (a test moves a manual
    /// one); the stop's budget is real time.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>One line per event: a mapping made, renewed to another port, refused, lost, deleted.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The router named our external address (a global one; a private one, behind another NAT, is only logged).</summary>
    public Action<IPAddress>? ExternalAddressChanged { get; init; }

    /// <summary>The external TCP port peers outside reach us on changed; null when no mapping holds one now.</summary>
    public Action<int?>? ExternalPortChanged { get; init; }
}

/// <summary>Keeps our peer port mapped on the router in front of us for as long as it runs: UPnP IGD beside PCP (with
/// its NAT-PMP fallback), each as allowed, each on its own: it maps TCP and UDP, renews them half way through their
/// lease, maps again when the router restarted or a renewal failed, and deletes them at stop.</summary>
/// <remarks>Nothing it meets stops it or the session: a router that refuses, never answers, disappears or hands out
/// another external port is one log line, and the next try waits (one minute, doubling up to half an hour). The UDP
/// mapping asks for the TCP mapping's external port, so one port number serves both, as the peer port does inside.
/// The external port announced (<see cref="PortMapperOptions.ExternalPortChanged"/>) is PCP/NAT-PMP's when it holds
/// one, else UPnP's.</remarks>
internal sealed class PortMapper : IAsyncDisposable
{
    private readonly PortMapperOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Route> _routes = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource? _stopped;
    private IPAddress? _external;
    private int? _externalPort;

    private PortMapper(PortMapperOptions options) => _options = options;

    /// <summary>Starts mapping through <paramref name="gateway"/> in the background; returns at once.</summary>
    public static PortMapper Start(PortMapperOptions options, Gateway gateway)
    {
        var mapper = new PortMapper(options);
        if (!IPAddress.IsLoopback(gateway.Local) && !Gateway.IsPrivate(gateway.Local))
            options.Log?.Invoke($"port mapping: our address {gateway.Local} is not private: asking {gateway.Address} anyway");
        if (options.Protocols.HasFlag(PortMappingProtocols.Upnp))
            mapper._routes.Add(new Route(mapper, "UPnP", ct => DiscoverAsync(options, gateway, ct)));
        var pcp = options.Protocols.HasFlag(PortMappingProtocols.Pcp);
        var natPmp = options.Protocols.HasFlag(PortMappingProtocols.NatPmp);
        if (pcp || natPmp)
        {
            var server = new IPEndPoint(gateway.Address, options.NatPmpPort);
            mapper._routes.Add(new Route(mapper, pcp && natPmp ? "PCP/NAT-PMP" : pcp ? "PCP" : "NAT-PMP",
                _ => Task.FromResult<IGatewayClient?>(new PcpClient(server, gateway.Local, pcp, natPmp, options.Time) { Timing = options.Timing })));
        }
        foreach (var route in mapper._routes) route.Run(mapper._stop.Token);
        return mapper;
    }

    private static async Task<IGatewayClient?> DiscoverAsync(PortMapperOptions options, Gateway gateway, CancellationToken ct) =>
        await UpnpClient.DiscoverAsync(options.SsdpTarget, gateway.Local, gateway.Address, options.SearchWindow, options.Log, ct, options.Time).ConfigureAwait(false);

    /// <summary>The external address the router named last (global addresses only), or null.</summary>
    public IPAddress? ExternalAddress { get { lock (_lock) return _external; } }

    /// <summary>The external TCP port mapped now, or null.</summary>
    public int? ExternalPort { get { lock (_lock) return _externalPort; } }

    /// <summary>The mappings held now, by every route.</summary>
    internal IReadOnlyList<GrantedMapping> Mappings
    {
        get
        {
            lock (_lock) return [.. _routes.SelectMany(r => r.Held)];
        }
    }

    /// <summary>Completes once every route has made its first attempt (mapped, or failed and waiting to try again).</summary>
    internal Task FirstRound => Task.WhenAll(_routes.Select(r => r.FirstRound));

    private void OnAddress(IPAddress address, string via)
    {
        if (!Gateway.IsGlobal(address))
        {
            _options.Log?.Invoke($"port mapping: {via} says our external address is {address}, which is not public (another NAT in front?): not used");
            return;
        }
        lock (_lock)
        {
            if (address.Equals(_external)) return;
            _external = address;
        }
        _options.Log?.Invoke($"port mapping: {via} says our external address is {address}");
        _options.ExternalAddressChanged?.Invoke(address);
    }

    /// <summary>Recomputes the external TCP port announced (PCP/NAT-PMP's first, then UPnP's) and tells when it changed.</summary>
    private void OnMappingsChanged()
    {
        int? port;
        lock (_lock)
        {
            port = _routes.OrderBy(r => r.Name == "UPnP" ? 1 : 0)
                .SelectMany(r => r.Held).FirstOrDefault(m => m.Protocol == IpProtocol.Tcp)?.ExternalPort;
            if (port is null && !_options.Tcp) port = _routes.SelectMany(r => r.Held).FirstOrDefault()?.ExternalPort;
            if (port == _externalPort) return;
            _externalPort = port;
        }
        _options.ExternalPortChanged?.Invoke(port);
    }

    /// <summary>Stops renewing and deletes every mapping the router may hold for us, within
    /// <see cref="PortMapperOptions.StopBudget"/>; a second call waits for the first one's deletions.</summary>
    public async ValueTask DisposeAsync()
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _stopped, mine, null) is { } first)
        {
            await first.Task.ConfigureAwait(false);
            return;
        }
        try
        {
            await StopAsync().ConfigureAwait(false);
            mine.SetResult();
        }
        catch (Exception e)
        {
            mine.SetException(e);
            throw;
        }
    }

    private async Task StopAsync()
    {
        // Real time on purpose: whoever stops the session waits for it, whatever clock the renewals follow.
        using var budget = new CancellationTokenSource(_options.StopBudget);
        // A request in flight ends now: what it may have made is deleted below, as if its answer had come.
        await _stop.CancelAsync().ConfigureAwait(false);
        // One after the other, PCP/NAT-PMP first: on a router that speaks both, both routes hold the same mapping, and
        // UPnP's deletion of one already gone is a success (NoSuchEntryInArray), PCP's is an error.
        foreach (var route in _routes.OrderBy(r => r.Name == "UPnP" ? 1 : 0)) await route.StopAsync(budget.Token).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>One way of mapping (UPnP, or PCP/NAT-PMP): its client, its mappings, its loop.</summary>
    /// <remarks>Two records: the mappings held (announced, cleared by a failed round) and what the router may hold for
    /// us (deleted at stop). The second outlives a failed round, whose mappings the router still forwards until their
    /// leases end, and it takes a request before it is sent: a stop that cuts the request short still deletes what the
    /// router may have made of it. Each entry keeps the client that asked, whose PCP nonce alone may delete it.</remarks>
    private sealed class Route(PortMapper owner, string name, Func<CancellationToken, Task<IGatewayClient?>> connect)
    {
        private readonly Dictionary<IpProtocol, GrantedMapping> _held = [];
        private readonly List<Owed> _owed = [];
        private readonly TaskCompletionSource _firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private IGatewayClient? _client;
        private Task _loop = Task.CompletedTask;

        /// <summary>A mapping the router may hold for us: asked for by <paramref name="Client"/> (its answer not yet
        /// come: <paramref name="Granted"/> null) or granted.</summary>
        private sealed record Owed(IGatewayClient Client, IpProtocol Protocol, int ExternalPort, GrantedMapping? Granted);

        public string Name { get; } = name;

        public Task FirstRound => _firstRound.Task;

        /// <summary>Read under the owner's lock.</summary>
        public IEnumerable<GrantedMapping> Held => _held.Values;

        private PortMapperOptions Options => owner._options;

        private void Log(string line) => Options.Log?.Invoke($"port mapping: {line}");

        public void Run(CancellationToken ct) => _loop = Task.Run(() => LoopAsync(ct), CancellationToken.None);

        private async Task LoopAsync(CancellationToken ct)
        {
            var failures = 0;
            while (!ct.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    wait = await RoundAsync(ct).ConfigureAwait(false);
                    failures = 0;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    // Whatever the router (or the machine's network) does, the session goes on: one line, a later try.
                    wait = Backoff(failures++);
                    Log($"{_client?.Name ?? Name}: {e.Message}; trying again in {Units(wait)}");
                    Forget();
                    if (e is not PortMappingException { Refused: true }) await DropClientAsync().ConfigureAwait(false); // found again next round
                }
                finally
                {
                    _firstRound.TrySetResult();
                }
                try { await Task.Delay(wait, Options.Time, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
        }

        private TimeSpan Backoff(int failures)
        {
            var wait = Options.FirstRetry * Math.Pow(2, Math.Min(failures, 16));
            return wait < Options.MaxRetry ? wait : Options.MaxRetry;
        }

        /// <summary>Maps (or renews) every transport; returns how long until the next renewal.</summary>
        private async Task<TimeSpan> RoundAsync(CancellationToken ct)
        {
            if (_client is null)
            {
                _client = await connect(ct).ConfigureAwait(false);
                if (_client is null) throw new PortMappingException("no UPnP device with a port-mapping service answered the search");
            }
            var client = _client;
            client.TakeReset(); // mapping everything now anyway
            var transports = new List<IpProtocol>();
            if (Options.Tcp) transports.Add(IpProtocol.Tcp);
            if (Options.Udp) transports.Add(IpProtocol.Udp);
            int? sharedExternal = null;
            foreach (var protocol in transports)
            {
                GrantedMapping? old;
                lock (owner._lock) old = _held.GetValueOrDefault(protocol);
                // A renewal asks for the port granted (RFC 6886 3.3: "the client SHOULD set the Suggested External Port
                // to what the NAT gateway previously mapped"); a first mapping asks for our own port number, or for the
                // port TCP got, so that one number serves both.
                var suggested = old?.ExternalPort ?? sharedExternal ?? Options.InternalPort;
                Asking(client, protocol, suggested);
                GrantedMapping granted;
                try
                {
                    granted = await client.MapAsync(protocol, Options.InternalPort, suggested, Options.Lease, ct).ConfigureAwait(false);
                }
                catch (PortMappingException e) when (e.Refused)
                {
                    Refused(client, protocol, suggested); // the router answered: it made nothing of this request
                    throw;
                }
                sharedExternal ??= granted.ExternalPort;
                lock (owner._lock) _held[protocol] = granted;
                await GrantedAsync(client, protocol, suggested, granted).ConfigureAwait(false);
                if (old is null)
                    Log($"{client.Name} mapped {Label(protocol)} external port {granted.ExternalPort} to our {Options.InternalPort}" +
                        (granted.Lifetime == TimeSpan.Zero ? " until removed" : $" for {Units(granted.Lifetime)}") +
                        (granted.ExternalPort != suggested ? $" (asked for {suggested}, which the router gave to another)" : ""));
                else if (old.ExternalPort != granted.ExternalPort)
                    Log($"{client.Name} renewed {Label(protocol)} on another external port: {granted.ExternalPort} (was {old.ExternalPort})");
                if (granted.ExternalAddress is { } address) owner.OnAddress(address, client.Name);
            }
            owner.OnMappingsChanged();
            if (await client.ExternalAddressAsync(ct).ConfigureAwait(false) is { } external) owner.OnAddress(external, client.Name);
            if (client.TakeReset()) return TimeSpan.Zero; // the router restarted meanwhile: map again at once
            List<TimeSpan> lifetimes;
            lock (owner._lock) lifetimes = [.. _held.Values.Select(m => m.Lifetime).Where(l => l > TimeSpan.Zero)];
            // Permanent leases are not renewed; they are still checked now and then, in case the router restarted.
            return lifetimes.Count == 0 ? Options.MaxRetry : lifetimes.Min() / 2;
        }

        /// <summary>Before a request is sent: the router may make the mapping even if its answer never reaches us.</summary>
        private void Asking(IGatewayClient client, IpProtocol protocol, int port)
        {
            lock (owner._lock)
                if (!_owed.Exists(o => o.Client == client && o.Protocol == protocol && o.ExternalPort == port)) _owed.Add(new Owed(client, protocol, port, null));
        }

        private void Refused(IGatewayClient client, IpProtocol protocol, int port)
        {
            lock (owner._lock) _owed.RemoveAll(o => o.Client == client && o.Protocol == protocol && o.ExternalPort == port && o.Granted is null);
        }

        /// <summary>The router's answer replaces what was owed for this transport by the same client (PCP and NAT-PMP
        /// move a mapping to the port they grant; a UPnP port granted elsewhere means the one asked is another's) and
        /// by any client on the same port (the same mapping on the router); a client left owing nothing is closed.</summary>
        private async Task GrantedAsync(IGatewayClient client, IpProtocol protocol, int asked, GrantedMapping granted)
        {
            List<IGatewayClient> idle;
            lock (owner._lock)
            {
                var before = _owed.Select(o => o.Client).Distinct().ToList();
                _owed.RemoveAll(o => o.Protocol == protocol && (o.Client == client || o.ExternalPort == granted.ExternalPort || o.ExternalPort == asked));
                _owed.Add(new Owed(client, protocol, granted.ExternalPort, granted));
                idle = [.. before.Where(c => c != _client && !_owed.Exists(o => o.Client == c))];
            }
            foreach (var done in idle) await done.DisposeAsync().ConfigureAwait(false);
        }

        /// <summary>Forgets the mappings after a failed round (the router lost them, or will soon) and tells the owner;
        /// they stay owed, to be deleted at stop.</summary>
        private void Forget()
        {
            bool had;
            lock (owner._lock)
            {
                had = _held.Count > 0;
                _held.Clear();
            }
            if (had) owner.OnMappingsChanged();
        }

        /// <summary>Lets the next round find the router again; a client that may still have mappings on it stays open
        /// until the stop deletes them.</summary>
        private async Task DropClientAsync()
        {
            if (_client is not { } client) return;
            _client = null;
            bool owes;
            lock (owner._lock) owes = _owed.Exists(o => o.Client == client);
            if (!owes) await client.DisposeAsync().ConfigureAwait(false);
        }

        /// <summary>Waits for the loop, then deletes what the router may hold for us, each deletion in one line
        /// (failures too), within <paramref name="budget"/>.</summary>
        public async Task StopAsync(CancellationToken budget)
        {
            // The loop ends with the stop (it catches everything else); one that does not is left behind at the deadline.
            try { await _loop.WaitAsync(budget).ConfigureAwait(false); }
            catch (OperationCanceledException) when (budget.IsCancellationRequested) { }
            Owed[] owed;
            lock (owner._lock)
            {
                owed = [.. _owed];
                _owed.Clear();
                _held.Clear();
            }
            foreach (var (client, protocol, port, granted) in owed)
            {
                var what = $"{Label(protocol)} external port {port}";
                try
                {
                    if (granted is not null) await client.UnmapAsync(granted, budget).ConfigureAwait(false);
                    else if (!await client.UnmapAskedAsync(protocol, Options.InternalPort, port, budget).ConfigureAwait(false))
                    {
                        Log($"{client.Name}: no {what} of ours to remove (asked for before the stop, which came before the answer)");
                        continue;
                    }
                    Log($"{client.Name} removed {what}" + (granted is null ? " (asked for before the stop, which came before the answer)" : ""));
                }
                catch (Exception e)
                {
                    Log($"{client.Name} could not remove {what}: " +
                        (e is OperationCanceledException ? "no answer before the stop's deadline" : e.Message) + " (its lease ends it)");
                }
            }
            foreach (var client in owed.Select(o => o.Client).Append(_client).OfType<IGatewayClient>().Distinct())
                await client.DisposeAsync().ConfigureAwait(false);
            _client = null;
        }
    }

    private static string Label(IpProtocol protocol) => protocol == IpProtocol.Udp ? "UDP" : "TCP";

    private static string Units(TimeSpan span) => span.TotalHours >= 1 && span.TotalMinutes % 60 == 0 ? $"{span.TotalHours:0} h"
        : span.TotalMinutes >= 1 && span.TotalSeconds % 60 == 0 ? $"{span.TotalMinutes:0} min" : $"{span.TotalSeconds:0} s";
}
