using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>An Internet Gateway Device on 127.0.0.1 for the UPnP client's tests: it answers SSDP searches sent to its
/// UDP port, serves its description, and answers the WANIPConnection actions as a test sets it to (mappings kept in a
/// table, ports taken by others, refusals, permanent leases only), keeping every request.</summary>
internal sealed partial class FakeUpnpDevice : IDisposable
{
    private readonly Socket _ssdp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly TcpListener _http = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public FakeUpnpDevice(int igdVersion = 2)
    {
        IgdVersion = igdVersion;
        _ssdp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _http.Start();
        _ = Task.Run(SsdpLoopAsync);
        _ = Task.Run(HttpLoopAsync);
    }

    public int IgdVersion { get; }

    /// <summary>Where searches go (the client's "group").</summary>
    public IPEndPoint SsdpEndPoint => (IPEndPoint)_ssdp.LocalEndPoint!;

    public int HttpPort => ((IPEndPoint)_http.LocalEndpoint).Port;

    /// <summary>The host the answer's LOCATION names (another one than ours: an answer the client must ignore).</summary>
    public string LocationHost { get; set; } = "127.0.0.1";

    /// <summary>The port the answer's LOCATION names: this device's own unless set (another server's description).</summary>
    public int? LocationPort { get; set; }

    public string ServiceType => $"urn:schemas-upnp-org:service:WANIPConnection:{IgdVersion}";

    /// <summary>Searches received, and HTTP requests: "GET /rootDesc.xml" or the SOAP action posted.</summary>
    public ConcurrentQueue<string> Searches { get; } = new();
    public ConcurrentQueue<(string Action, string SoapAction, string Body)> Requests { get; } = new();

    /// <summary>The mappings made: (protocol, external port) to (internal client, internal port, lease).</summary>
    public ConcurrentDictionary<(string Protocol, int External), (string Client, int Internal, int Lease)> Mappings { get; } = new();

    /// <summary>External ports another host holds (AddPortMapping: 718 ConflictInMappingEntry).</summary>
    public HashSet<int> Taken { get; } = [];

    /// <summary>Every AddPortMapping answers this UPnP error (0: none).</summary>
    public int RefuseWith { get; set; }

    /// <summary>An IGD 1 that keeps no timers: a lease other than 0 gets 725 OnlyPermanentLeasesSupported.</summary>
    public bool PermanentOnly { get; set; }

    public string ExternalAddress { get; set; } = "1.2.3.4";

    /// <summary>While set and not completed, the answer to an AddPortMapping waits for it (the mapping is made, or
    /// refused, at once): an answer on its way when the client stops.</summary>
    public TaskCompletionSource? HoldAddAnswers { get; set; }

    private async Task SsdpLoopAsync()
    {
        var buffer = new byte[2048];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try { received = await _ssdp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            var text = Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes);
            Searches.Enqueue(text);
            if (!text.StartsWith("M-SEARCH", StringComparison.Ordinal)) continue;
            var answer = $"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n" +
                $"USN: uuid:fake::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nEXT:\r\nSERVER: Test UPnP/1.1 Fake/1\r\n" +
                $"LOCATION: http://{LocationHost}:{LocationPort ?? HttpPort}/rootDesc.xml\r\n\r\n";
            try { await _ssdp.SendToAsync(Encoding.ASCII.GetBytes(answer), SocketFlags.None, received.RemoteEndPoint); }
            catch (Exception e) when (e is ObjectDisposedException or SocketException) { return; }
        }
    }

    private async Task HttpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _http.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException
                || e is InvalidOperationException && _stop.IsCancellationRequested) { return; } // stopped between two accepts: "Not listening"
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(one, _stop.Token) == 0) return;
                head.Append((char)one[0]);
            }
            var lines = head.ToString().Split("\r\n");
            var length = lines.Select(l => ContentLength().Match(l)).FirstOrDefault(m => m.Success) is { } m ? int.Parse(m.Groups[1].Value) : 0;
            var soapAction = lines.FirstOrDefault(l => l.StartsWith("SOAPAction:", StringComparison.OrdinalIgnoreCase))?[11..].Trim() ?? "";
            var body = new byte[length];
            await stream.ReadExactlyAsync(body, _stop.Token);
            var text = Encoding.UTF8.GetString(body);
            var action = lines[0].StartsWith("GET ", StringComparison.Ordinal) ? lines[0].Split(' ')[1] : soapAction.Trim('"').Split('#').Last();
            Requests.Enqueue((action, soapAction, text));
            var (status, xml) = lines[0].StartsWith("GET /rootDesc.xml", StringComparison.Ordinal) ? (200, Description())
                : lines[0].StartsWith("POST /ctl/IPConn", StringComparison.Ordinal) ? Act(action, text) : (404, "");
            if (action == "AddPortMapping" && HoldAddAnswers is { } hold) await hold.Task.WaitAsync(_stop.Token);
            var bytes = Encoding.UTF8.GetBytes(xml);
            var reply = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(reply), _stop.Token);
            await stream.WriteAsync(bytes, _stop.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException) { }
    }

    private string Description() => $"""
        <?xml version="1.0"?>
        <root xmlns="urn:schemas-upnp-org:device-1-0"><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:{IgdVersion}</deviceType>
        <deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:{IgdVersion}</deviceType><deviceList><device>
        <deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:{IgdVersion}</deviceType><serviceList><service>
        <serviceType>{ServiceType}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
        <controlURL>/ctl/IPConn</controlURL></service></serviceList></device></deviceList></device></deviceList></device></root>
        """;

    private (int, string) Act(string action, string body)
    {
        string Arg(string name) => Regex.Match(body, $"<{name}>(.*?)</{name}>").Groups[1].Value;
        switch (action)
        {
            case "AddPortMapping" or "AddAnyPortMapping":
            {
                var (protocol, external, lease) = (Arg("NewProtocol"), int.Parse(Arg("NewExternalPort")), int.Parse(Arg("NewLeaseDuration")));
                if (RefuseWith != 0) return Fault(RefuseWith);
                if (PermanentOnly && lease != 0) return Fault(725);
                if (action == "AddAnyPortMapping")
                    while (Taken.Contains(external)) external++;
                else if (Taken.Contains(external)) return Fault(718);
                Mappings[(protocol, external)] = (Arg("NewInternalClient"), int.Parse(Arg("NewInternalPort")), lease);
                return Ok(action, action == "AddAnyPortMapping" ? $"<NewReservedPort>{external}</NewReservedPort>" : "");
            }
            case "DeletePortMapping":
                return Mappings.TryRemove((Arg("NewProtocol"), int.Parse(Arg("NewExternalPort"))), out _) ? Ok(action, "") : Fault(714);
            case "GetSpecificPortMappingEntry":
                return Mappings.TryGetValue((Arg("NewProtocol"), int.Parse(Arg("NewExternalPort"))), out var entry)
                    ? Ok(action, $"<NewInternalPort>{entry.Internal}</NewInternalPort><NewInternalClient>{entry.Client}</NewInternalClient>" +
                        $"<NewEnabled>1</NewEnabled><NewPortMappingDescription>x</NewPortMappingDescription><NewLeaseDuration>{entry.Lease}</NewLeaseDuration>")
                    : Fault(714);
            case "GetExternalIPAddress":
                return Ok(action, $"<NewExternalIPAddress>{ExternalAddress}</NewExternalIPAddress>");
            default:
                return Fault(401);
        }
    }

    private (int, string) Ok(string action, string values) => (200,
        $"""<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:{action}Response xmlns:u="{ServiceType}">{values}</u:{action}Response></s:Body></s:Envelope>""");

    private static (int, string) Fault(int code) => (500,
        $"""<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode><errorDescription>error {code}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>""");

    [GeneratedRegex(@"^Content-Length:\s*(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex ContentLength();

    public void Dispose()
    {
        _stop.Cancel();
        _ssdp.Dispose();
        _http.Stop();
        _stop.Dispose();
    }
}
