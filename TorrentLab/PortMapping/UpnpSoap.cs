using System.Globalization;
using System.Security;
using System.Text;
using System.Xml;

namespace TorrentLab.PortMapping;

/// <summary>A SOAP answer from the gateway: the action's out arguments by name, or a UPnP error (the
/// <c>UPnPError</c>'s <c>errorCode</c>, 718 ConflictInMappingEntry say, and its description; the code is 0 on success).</summary>
internal sealed record SoapAnswer(IReadOnlyDictionary<string, string> Values, int ErrorCode = 0, string? ErrorDescription = null)
{
    public bool Failed => ErrorCode != 0;
}

/// <summary>The SOAP actions of an IGD's WANIPConnection (or WANPPPConnection) service, byte for byte (UDA 1.1, section
/// 3.2; the IGD's WANIPConnection:1 and :2 service documents), and the reading of their answers.</summary>
/// <remarks>An action is an HTTP POST to the service's control URL with a <c>SOAPACTION</c> header naming
/// <c>"serviceType#Action"</c> (quotes included) and this body:
/// <code>
/// &lt;?xml version="1.0"?&gt;
/// &lt;s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"&gt;
///   &lt;s:Body&gt;&lt;u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"&gt;
///     &lt;NewRemoteHost&gt;&lt;/NewRemoteHost&gt;&lt;NewExternalPort&gt;6881&lt;/NewExternalPort&gt;...
///   &lt;/u:AddPortMapping&gt;&lt;/s:Body&gt;
/// &lt;/s:Envelope&gt;
/// </code>
/// A success is HTTP 200 with <c>&lt;u:ActionResponse&gt;</c> holding the out arguments; a failure is HTTP 500 with a
/// <c>s:Fault</c> whose <c>detail/UPnPError</c> gives <c>errorCode</c> and <c>errorDescription</c>.</remarks>
internal static class UpnpSoap
{
    // The UPnP errors a port mapping meets (WANIPConnection:2, section 2.4.16, and UDA's 4xx/5xx/6xx).
    public const int InvalidArgs = 402;
    public const int ActionFailed = 501;
    public const int NotAuthorized = 606;
    public const int NoSuchEntryInArray = 714;
    public const int ConflictInMappingEntry = 718;
    public const int SamePortValuesRequired = 724;
    public const int OnlyPermanentLeasesSupported = 725;
    public const int ExternalPortOnlySupportsWildcard = 727;
    public const int NoPortMapsAvailable = 728;
    public const int ConflictWithOtherMechanisms = 729;

    /// <summary>The longest answer read.</summary>
    public const int MaxAnswerBytes = 64 * 1024;

    /// <summary>The body of <paramref name="action"/> of <paramref name="serviceType"/> with its in arguments, in order.</summary>
    public static string Body(string serviceType, string action, params (string Name, string Value)[] arguments)
    {
        var body = new StringBuilder("<?xml version=\"1.0\"?>\r\n")
            .Append("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">")
            .Append("<s:Body><u:").Append(action).Append(" xmlns:u=\"").Append(SecurityElement.Escape(serviceType)).Append("\">");
        foreach (var (name, value) in arguments)
            body.Append('<').Append(name).Append('>').Append(SecurityElement.Escape(value)).Append("</").Append(name).Append('>');
        return body.Append("</u:").Append(action).Append("></s:Body></s:Envelope>\r\n").ToString();
    }

    /// <summary>The <c>SOAPACTION</c> header's value: the service type and action, in double quotes.</summary>
    public static string ActionHeader(string serviceType, string action) => $"\"{serviceType}#{action}\"";

    /// <summary>AddPortMapping: forward <paramref name="externalPort"/> from any remote host to our
    /// <paramref name="internalClient"/>:<paramref name="internalPort"/> for <paramref name="leaseSeconds"/> (0: until
    /// deleted).</summary>
    public static string AddPortMapping(string serviceType, IpProtocol protocol, int externalPort, int internalPort, string internalClient,
        string description, uint leaseSeconds) => Body(serviceType, "AddPortMapping",
        ("NewRemoteHost", ""), ("NewExternalPort", Number(externalPort)), ("NewProtocol", Name(protocol)), ("NewInternalPort", Number(internalPort)),
        ("NewInternalClient", internalClient), ("NewEnabled", "1"), ("NewPortMappingDescription", description), ("NewLeaseDuration", Number(leaseSeconds)));

    /// <summary>AddAnyPortMapping (IGD 2): as AddPortMapping, but the gateway may grant another external port when the
    /// one asked is taken; its answer's <c>NewReservedPort</c> says which.</summary>
    public static string AddAnyPortMapping(string serviceType, IpProtocol protocol, int externalPort, int internalPort, string internalClient,
        string description, uint leaseSeconds) => Body(serviceType, "AddAnyPortMapping",
        ("NewRemoteHost", ""), ("NewExternalPort", Number(externalPort)), ("NewProtocol", Name(protocol)), ("NewInternalPort", Number(internalPort)),
        ("NewInternalClient", internalClient), ("NewEnabled", "1"), ("NewPortMappingDescription", description), ("NewLeaseDuration", Number(leaseSeconds)));

    /// <summary>DeletePortMapping: the mapping of <paramref name="externalPort"/> from any remote host.</summary>
    public static string DeletePortMapping(string serviceType, IpProtocol protocol, int externalPort) => Body(serviceType, "DeletePortMapping",
        ("NewRemoteHost", ""), ("NewExternalPort", Number(externalPort)), ("NewProtocol", Name(protocol)));

    /// <summary>GetSpecificPortMappingEntry: the mapping of <paramref name="externalPort"/> from any remote host; its
    /// answer names the internal client and port it forwards to (or the fault NoSuchEntryInArray).</summary>
    public static string GetSpecificPortMappingEntry(string serviceType, IpProtocol protocol, int externalPort) =>
        Body(serviceType, "GetSpecificPortMappingEntry", ("NewRemoteHost", ""), ("NewExternalPort", Number(externalPort)), ("NewProtocol", Name(protocol)));

    /// <summary>GetExternalIPAddress: no in argument; its answer's <c>NewExternalIPAddress</c> is the gateway's address.</summary>
    public static string GetExternalIPAddress(string serviceType) => Body(serviceType, "GetExternalIPAddress");

    /// <summary>UPnP names a transport "TCP" or "UDP".</summary>
    public static string Name(IpProtocol protocol) => protocol == IpProtocol.Udp ? "UDP" : "TCP";

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads an answer: the out arguments of <paramref name="action"/>'s response, or the UPnP error of a
    /// fault.</summary>
    /// <exception cref="PortMappingException">Neither: not XML, no response element, a fault without a UPnP error.</exception>
    public static SoapAnswer Read(int httpStatus, string xml, string action)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true, MaxCharactersInDocument = MaxAnswerBytes };
        bool inResponse = false, sawResponse = false, inError = false;
        string? code = null, description = null;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            reader.Read();
            while (!reader.EOF)
            {
                // ReadElementContentAsString moves past the element it reads: the loop reads on from there.
                if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == action + "Response") inResponse = false;
                if (reader.NodeType == XmlNodeType.Element)
                {
                    if (reader.LocalName == action + "Response") inResponse = sawResponse = true;
                    else if (reader.LocalName == "UPnPError") inError = true;
                    else if (inError && reader.LocalName == "errorCode") { code = reader.ReadElementContentAsString().Trim(); continue; }
                    else if (inError && reader.LocalName == "errorDescription") { description = reader.ReadElementContentAsString().Trim(); continue; }
                    else if (inResponse) { values[reader.LocalName] = reader.ReadElementContentAsString().Trim(); continue; }
                }
                reader.Read();
            }
        }
        catch (XmlException e)
        {
            throw new PortMappingException($"UPnP {action}: the answer (HTTP {httpStatus}) is not well-formed XML: {e.Message}", e);
        }
        if (code is not null)
        {
            if (!int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number == 0)
                throw new PortMappingException($"UPnP {action}: a fault with error code '{UntrustedText.Clean(code, 40)}'");
            return new SoapAnswer(values, number, description is null ? null : UntrustedText.Clean(description, 200));
        }
        if (httpStatus != 200 || !sawResponse)
            throw new PortMappingException($"UPnP {action}: HTTP {httpStatus} without {(httpStatus == 200 ? "a response element" : "a UPnP error")}");
        return new SoapAnswer(values);
    }

    /// <summary>The meaning of a UPnP error code, for the log.</summary>
    public static string Describe(int code, string? description) => (code switch
    {
        InvalidArgs => "InvalidArgs",
        ActionFailed => "ActionFailed",
        NotAuthorized => "ActionNotAuthorized",
        NoSuchEntryInArray => "NoSuchEntryInArray",
        ConflictInMappingEntry => "ConflictInMappingEntry",
        SamePortValuesRequired => "SamePortValuesRequired",
        OnlyPermanentLeasesSupported => "OnlyPermanentLeasesSupported",
        ExternalPortOnlySupportsWildcard => "ExternalPortOnlySupportsWildcard",
        NoPortMapsAvailable => "NoPortMapsAvailable",
        ConflictWithOtherMechanisms => "ConflictWithOtherMechanisms",
        _ => "error",
    }) + $" ({code}{(description is { Length: > 0 } ? ": " + description : "")})";
}
