using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TorrentLab.PortMapping;

/// <summary>A UPnP IGD client: finds the gateway's port-mapping service by SSDP and its device description, then
/// asks it for mappings with SOAP actions over HTTP (<see cref="UpnpSoap"/>).</summary>
/// <remarks>Only the device that answered our search is ever dialled: its description's URL must name the address the
/// answer came from, and every HTTP connection goes to that address (from our address on its link), whatever a URL
/// says. Answers are capped in size and time.</remarks>
internal sealed class UpnpClient : IGatewayClient
{
    private readonly HttpClient _http;
    private readonly IgdService _service;
    private readonly IPAddress _local;

    private UpnpClient(HttpClient http, IgdService service, IPAddress device, IPAddress local, Uri location)
    {
        (_http, _service, _local, Device) = (http, service, local, device);
        Name = $"UPnP ({location})";
    }

    public string Name { get; }

    /// <summary>The gateway's address (where its answer came from).</summary>
    public IPAddress Device { get; }

    /// <summary>The service found (its type names the actions).</summary>
    public IgdService Service => _service;

    /// <summary>Searches for an IGD from <paramref name="local"/>: an M-SEARCH to <paramref name="target"/> (the SSDP
    /// group, out of the interface that holds <paramref name="local"/> only; a test's device elsewhere), answers read
    /// for <paramref name="window"/> of <paramref name="clock"/> (the system's by default; the search is sent again
    /// half way through it while nobody answered), and the first device whose description has a port-mapping service
    /// wins (the gateway's own, <paramref name="preferred"/>, first).</summary>
    /// <returns>The client, or null when no device answered with such a service.</returns>
    /// <exception cref="PortMappingException">The search cannot be sent.</exception>
    public static async Task<UpnpClient?> DiscoverAsync(IPEndPoint target, IPAddress local, IPAddress? preferred, TimeSpan window, Action<string>? log,
        CancellationToken ct, TimeProvider? clock = null)
    {
        clock ??= TimeProvider.System;
        var answers = new List<(IPAddress From, SsdpAnswer Answer)>();
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                if (IsMulticast(target.Address))
                {
                    // Out of the gateway's interface only; UDA asks for a TTL that stays near: 2 reaches the gateway.
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, local.GetAddressBytes());
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 2);
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, false);
                }
                var search = SsdpMessages.Search();
                await socket.SendToAsync(search, SocketFlags.None, target, ct).ConfigureAwait(false);
                var buffer = new byte[SsdpMessages.MaxAnswerBytes + 1];
                using var whole = new CancellationTokenSource(window, clock);
                using var halfWay = new CancellationTokenSource(window / 2, clock);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, whole.Token);
                var resent = false;
                while (true)
                {
                    SocketReceiveFromResult received;
                    try
                    {
                        // UDP may lose the search: sent again once, half way through the window, while nobody answered.
                        using var half = resent ? null : CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, halfWay.Token);
                        received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), (half ?? timeout).Token)
                            .ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
                    {
                        resent = true;
                        if (answers.Count == 0) await socket.SendToAsync(search, SocketFlags.None, target, ct).ConfigureAwait(false);
                        continue;
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested) { break; }
                    catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset) { continue; }
                    var from = ((IPEndPoint)received.RemoteEndPoint).Address;
                    if (from.IsIPv4MappedToIPv6) from = from.MapToIPv4();
                    if (SsdpMessages.ReadAnswer(buffer.AsSpan(0, received.ReceivedBytes)) is not { } answer) continue;
                    // The description is fetched from the device that answered, and from no other address.
                    if (!IPAddress.TryParse(answer.Location.Host, out var named) || !named.Equals(from))
                    {
                        log?.Invoke($"port mapping: ignored an SSDP answer from {from} whose description is elsewhere ({UntrustedText.Clean(answer.Location.ToString(), 200)})");
                        continue;
                    }
                    if (answers.All(a => a.Answer.Location != answer.Location)) answers.Add((from, answer));
                    if (preferred is not null && from.Equals(preferred)) break; // the gateway itself answered
                }
            }
            catch (SocketException e)
            {
                throw new PortMappingException($"cannot search for a UPnP device from {local}: {e.SocketErrorCode}", e);
            }
        }
        foreach (var (from, answer) in answers.OrderByDescending(a => a.From.Equals(preferred)))
        {
            var http = NewHttpClient(from, local);
            try
            {
                var xml = await GetAsync(http, answer.Location, ct).ConfigureAwait(false);
                if (IgdDescription.FindService(xml, answer.Location) is not { } service)
                {
                    log?.Invoke($"port mapping: the UPnP device at {answer.Location} has no WANIPConnection or WANPPPConnection service");
                    http.Dispose();
                    continue;
                }
                if (!IPAddress.TryParse(service.ControlUrl.Host, out var control) || !control.Equals(from))
                {
                    log?.Invoke($"port mapping: the UPnP device at {answer.Location} names a control URL on another host ({UntrustedText.Clean(service.ControlUrl.ToString(), 200)})");
                    http.Dispose();
                    continue;
                }
                return new UpnpClient(http, service, from, local, answer.Location);
            }
            catch (PortMappingException e)
            {
                log?.Invoke($"port mapping: {e.Message}");
                http.Dispose();
            }
        }
        return null;
    }

    private static bool IsMulticast(IPAddress address) => address.GetAddressBytes()[0] is >= 224 and <= 239;

    /// <summary>An HTTP client that connects only to <paramref name="device"/>, from <paramref name="local"/>.</summary>
    private static HttpClient NewHttpClient(IPAddress device, IPAddress local)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = async (context, ct) =>
            {
                if (!IPAddress.TryParse(context.DnsEndPoint.Host, out var host) || !host.Equals(device))
                    throw new HttpRequestException($"refusing to connect to {context.DnsEndPoint.Host}: not the UPnP device {device}");
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(new IPEndPoint(device, context.DnsEndPoint.Port), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10), MaxResponseContentBufferSize = IgdDescription.MaxBytes };
    }

    private static async Task<string> GetAsync(HttpClient http, Uri url, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(url, ct).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK) throw new PortMappingException($"the UPnP device description at {url} answered HTTP {(int)response.StatusCode}");
            return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new PortMappingException($"cannot read the UPnP device description at {url}: {e.Message}", e);
        }
    }

    /// <summary>Posts one action and reads its answer.</summary>
    private async Task<SoapAnswer> CallAsync(string action, string body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _service.ControlUrl)
        {
            Content = new StringContent(body, Encoding.UTF8),
        };
        request.Content.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "text/xml; charset=\"utf-8\"");
        request.Headers.TryAddWithoutValidation("SOAPAction", UpnpSoap.ActionHeader(_service.ServiceType, action));
        try
        {
            using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (text.Length > UpnpSoap.MaxAnswerBytes) throw new PortMappingException($"UPnP {action}: an answer of {text.Length} characters");
            return UpnpSoap.Read((int)response.StatusCode, text, action);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new PortMappingException($"UPnP {action} at {_service.ControlUrl}: {e.Message}", e);
        }
    }

    public async Task<GrantedMapping> MapAsync(IpProtocol protocol, int internalPort, int suggestedExternalPort, TimeSpan lease, CancellationToken ct)
    {
        var seconds = (uint)Math.Clamp(lease.TotalSeconds, 1, 604800); // IGD 2 caps a lease at a week
        var external = suggestedExternalPort == 0 ? internalPort : suggestedExternalPort;
        var client = _local.ToString();
        var answer = await AddAsync(protocol, external, internalPort, client, seconds, ct).ConfigureAwait(false);
        if (answer.ErrorCode == UpnpSoap.OnlyPermanentLeasesSupported)
        {
            // IGD 1 routers that keep no timers: the mapping lasts until deleted (at stop), so it is not renewed.
            seconds = 0;
            answer = await AddAsync(protocol, external, internalPort, client, seconds, ct).ConfigureAwait(false);
        }
        if (answer.ErrorCode is UpnpSoap.ConflictInMappingEntry or UpnpSoap.ConflictWithOtherMechanisms)
        {
            // The external port is someone else's: IGD 2 picks a free one itself; an IGD 1 gets a few others to try.
            if (_service.HasAddAny)
            {
                answer = await CallAsync("AddAnyPortMapping",
                    UpnpSoap.AddAnyPortMapping(_service.ServiceType, protocol, external, internalPort, client, Description, seconds), ct).ConfigureAwait(false);
                if (!answer.Failed)
                {
                    if (!answer.Values.TryGetValue("NewReservedPort", out var reserved) || !ushort.TryParse(reserved, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port == 0)
                        throw new PortMappingException($"UPnP AddAnyPortMapping: no NewReservedPort in the answer");
                    external = port;
                }
            }
            else
            {
                for (var i = 0; i < 4 && answer.ErrorCode is UpnpSoap.ConflictInMappingEntry or UpnpSoap.ConflictWithOtherMechanisms; i++)
                {
                    external = Random.Shared.Next(10000, 60000);
                    answer = await AddAsync(protocol, external, internalPort, client, seconds, ct).ConfigureAwait(false);
                }
            }
        }
        if (answer.Failed)
            throw new PortMappingException($"UPnP refused {UpnpSoap.Name(protocol)} {external} -> {client}:{internalPort}: {UpnpSoap.Describe(answer.ErrorCode, answer.ErrorDescription)}")
            { Refused = true };
        return new GrantedMapping(protocol, internalPort, external, TimeSpan.FromSeconds(seconds), "UPnP");
    }

    /// <summary>What the router's list says the mappings are for (UPnP's NewPortMappingDescription).</summary>
    public string Description { get; init; } = "TorrentLab";

    private Task<SoapAnswer> AddAsync(IpProtocol protocol, int external, int internalPort, string client, uint seconds, CancellationToken ct) =>
        CallAsync("AddPortMapping", UpnpSoap.AddPortMapping(_service.ServiceType, protocol, external, internalPort, client, Description, seconds), ct);

    public async Task UnmapAsync(GrantedMapping mapping, CancellationToken ct)
    {
        var answer = await CallAsync("DeletePortMapping", UpnpSoap.DeletePortMapping(_service.ServiceType, mapping.Protocol, mapping.ExternalPort), ct)
            .ConfigureAwait(false);
        // Already gone (expired, or the router restarted) is what was wanted.
        if (answer.Failed && answer.ErrorCode != UpnpSoap.NoSuchEntryInArray)
            throw new PortMappingException($"UPnP refused to delete {mapping}: {UpnpSoap.Describe(answer.ErrorCode, answer.ErrorDescription)}");
    }

    public async Task<bool> UnmapAskedAsync(IpProtocol protocol, int internalPort, int externalPort, CancellationToken ct)
    {
        var entry = await CallAsync("GetSpecificPortMappingEntry", UpnpSoap.GetSpecificPortMappingEntry(_service.ServiceType, protocol, externalPort), ct)
            .ConfigureAwait(false);
        if (entry.ErrorCode == UpnpSoap.NoSuchEntryInArray) return false;
        if (entry.Failed) throw new PortMappingException($"UPnP GetSpecificPortMappingEntry: {UpnpSoap.Describe(entry.ErrorCode, entry.ErrorDescription)}");
        // Only ours: DeletePortMapping names the external port alone, and a router outside secure mode deletes whatever
        // holds it, another host's mapping too (the one that took the port while our answer was on its way).
        var ours = entry.Values.TryGetValue("NewInternalClient", out var client) && IPAddress.TryParse(client, out var address) && address.Equals(_local)
            && entry.Values.TryGetValue("NewInternalPort", out var port) && port == internalPort.ToString(CultureInfo.InvariantCulture);
        if (!ours) return false;
        await UnmapAsync(new GrantedMapping(protocol, internalPort, externalPort, TimeSpan.Zero, "UPnP"), ct).ConfigureAwait(false);
        return true;
    }

    public async Task<IPAddress?> ExternalAddressAsync(CancellationToken ct)
    {
        var answer = await CallAsync("GetExternalIPAddress", UpnpSoap.GetExternalIPAddress(_service.ServiceType), ct).ConfigureAwait(false);
        if (answer.Failed) throw new PortMappingException($"UPnP GetExternalIPAddress: {UpnpSoap.Describe(answer.ErrorCode, answer.ErrorDescription)}");
        if (!answer.Values.TryGetValue("NewExternalIPAddress", out var text) || text.Length == 0) return null; // not connected
        return IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetwork ? address
            : throw new PortMappingException($"UPnP GetExternalIPAddress: not an IPv4 address: '{UntrustedText.Clean(text, 60)}'");
    }

    /// <summary>UPnP has no epoch: a restarted router is found at the next renewal, which maps again.</summary>
    public bool TakeReset() => false;

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
