using System.Xml;

namespace TorrentLab.PortMapping;

/// <summary>The service of an Internet Gateway Device that maps ports: its type (which names the SOAP actions) and the
/// URL its actions are posted to.</summary>
internal sealed record IgdService(string ServiceType, Uri ControlUrl)
{
    /// <summary>IGD version 2's WANIPConnection, which has <c>AddAnyPortMapping</c> (the router picks a free port).</summary>
    public bool HasAddAny => ServiceType.StartsWith("urn:schemas-upnp-org:service:WANIPConnection:", StringComparison.Ordinal)
        && !ServiceType.EndsWith(":1", StringComparison.Ordinal);
}

/// <summary>Reads a UPnP device description (UDA 1.1, section 2.3): the root device's tree of devices, each with its
/// <c>serviceList</c>, in which an IGD has a <c>WANIPConnection</c> (or, on a PPP link, a <c>WANPPPConnection</c>)
/// service inside its <c>WANDevice</c>'s <c>WANConnectionDevice</c>:</summary>
/// <remarks>
/// <code>
/// &lt;root xmlns="urn:schemas-upnp-org:device-1-0"&gt;
///   &lt;URLBase&gt;http://192.168.1.1:5000/&lt;/URLBase&gt;                  (optional, UDA 1.0 only)
///   &lt;device&gt; &lt;deviceType&gt;urn:schemas-upnp-org:device:InternetGatewayDevice:2&lt;/deviceType&gt;
///     &lt;deviceList&gt; &lt;device&gt; ...WANDevice...
///       &lt;deviceList&gt; &lt;device&gt; ...WANConnectionDevice...
///         &lt;serviceList&gt; &lt;service&gt;
///           &lt;serviceType&gt;urn:schemas-upnp-org:service:WANIPConnection:2&lt;/serviceType&gt;
///           &lt;controlURL&gt;/ctl/IPConn&lt;/controlURL&gt;
/// </code>
/// A relative control URL is resolved against <c>URLBase</c> when present, else against the description's own URL.
/// The document is read with DTDs refused and its size capped by the caller.</remarks>
internal static class IgdDescription
{
    /// <summary>The largest description read (miniupnpd's is about 4 KiB, big routers' tens of KiB).</summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>The service types that map ports, most preferred first.</summary>
    private static readonly string[] Preferred =
    [
        "urn:schemas-upnp-org:service:WANIPConnection:2",
        "urn:schemas-upnp-org:service:WANIPConnection:1",
        "urn:schemas-upnp-org:service:WANPPPConnection:1",
    ];

    /// <summary>The port-mapping service of the description at <paramref name="location"/>, or null when it has none.</summary>
    /// <exception cref="PortMappingException">The document is not well-formed XML, or a control URL is not a URL.</exception>
    public static IgdService? FindService(string xml, Uri location)
    {
        var found = new List<(string Type, string Control)>();
        string? urlBase = null;
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true, MaxCharactersInDocument = MaxBytes };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            string? type = null, control = null;
            var inService = false;
            reader.Read();
            while (!reader.EOF)
            {
                // ReadElementContentAsString moves past the element it reads: the loop reads on from there.
                if (reader.NodeType == XmlNodeType.Element)
                {
                    switch (reader.LocalName)
                    {
                        case "URLBase" when urlBase is null: urlBase = reader.ReadElementContentAsString().Trim(); continue;
                        case "service": inService = true; type = control = null; break;
                        case "serviceType" when inService: type = reader.ReadElementContentAsString().Trim(); continue;
                        case "controlURL" when inService: control = reader.ReadElementContentAsString().Trim(); continue;
                    }
                }
                else if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "service")
                {
                    if (type is not null && control is not null) found.Add((type, control));
                    inService = false;
                }
                reader.Read();
            }
        }
        catch (XmlException e)
        {
            throw new PortMappingException($"the device description at {location} is not well-formed XML: {e.Message}", e);
        }
        foreach (var wanted in Preferred)
        {
            if (found.FirstOrDefault(f => f.Type == wanted) is not { Type: not null } match) continue;
            var root = urlBase is { Length: > 0 } && Uri.TryCreate(urlBase, UriKind.Absolute, out var b) ? b : location;
            if (!Uri.TryCreate(root, match.Control, out var control) || control.Scheme != Uri.UriSchemeHttp)
                throw new PortMappingException($"the device description at {location} names a control URL that is not an http URL: '{UntrustedText.Clean(match.Control, 200)}'");
            return new IgdService(match.Type, control);
        }
        return null;
    }
}
