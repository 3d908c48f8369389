using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TorrentLab.Dht;

/// <summary>The saved routing tables: our id and the nodes that were good, so a restart needs no bootstrap node.</summary>
/// <remarks>A small JSON file, for example:
/// <code>{ "id": "&lt;40 hex&gt;", "address": "203.0.113.7", "id6": "&lt;40 hex&gt;", "address6": "2001:db8::7",
///   "nodes": [ { "id": "&lt;40 hex&gt;", "address": "127.0.0.1:6881" }, { "id": "&lt;40 hex&gt;", "address": "[::1]:6881" } ] }</code>
/// where the top-level <c>address</c> (BEP 42: how other nodes see us) is there once they told us. BEP 32 keeps the
/// IPv4 and the IPv6 DHT apart: <c>id6</c> and <c>address6</c> are the IPv6 node's, and <c>nodes</c> holds both
/// tables, each node's address telling its family. The two nodes of a dual-stack host share the file: each saves its
/// own part and keeps the other's (<see cref="SaveFamily"/>).</remarks>
internal sealed record DhtState(string Id, IReadOnlyList<DhtStateNode> Nodes)
{
    /// <summary>Most nodes saved per family: the table's good nodes rarely number more.</summary>
    public const int MaxNodes = 300;

    [JsonIgnore]
    public NodeId? NodeId => TryId(Id);

    /// <summary>BEP 42: our address as other nodes saw it (one a local network's is not kept: it binds no id).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Address { get; init; }

    /// <summary>BEP 32: the IPv6 node's id (the same as <see cref="Id"/> unless BEP 42 wanted another).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id6 { get; init; }

    /// <summary>BEP 42 over IPv6: our IPv6 address as other IPv6 nodes saw it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Address6 { get; init; }

    /// <summary>The saved <see cref="Address"/> when it parses and is not exempt from BEP 42; the id must fit it.</summary>
    [JsonIgnore]
    public IPAddress? ExternalAddress => ExternalAddressOf(AddressFamily.InterNetwork);

    /// <summary>The saved nodes that parse; the rest of a damaged file is skipped.</summary>
    [JsonIgnore]
    public IReadOnlyList<NodeContact> Contacts =>
        [.. Nodes.Take(2 * MaxNodes).Select(n => (Id: TryId(n.Id), Ok: IPEndPoint.TryParse(n.Address ?? "", out var e), EndPoint: e))
            .Where(n => n.Id is not null && n.Ok && n.EndPoint!.Port > 0).Select(n => new NodeContact(n.Id!.Value, n.EndPoint!))];

    /// <summary>The saved id of the node of <paramref name="family"/>; an IPv6 node without one of its own takes the
    /// IPv4 node's (BEP 32: "a node should use the same node id in both tables").</summary>
    public NodeId? IdOf(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? TryId(Id6) ?? NodeId : NodeId;

    /// <summary>Our saved external address in <paramref name="family"/>, when it parses, is of that family and is not
    /// exempt from BEP 42.</summary>
    public IPAddress? ExternalAddressOf(AddressFamily family) =>
        IPAddress.TryParse((family == AddressFamily.InterNetworkV6 ? Address6 : Address) ?? "", out var address)
            && address.AddressFamily == family && !SecureNodeId.IsExempt(address) ? address : null;

    /// <summary>The saved nodes of <paramref name="family"/> (BEP 32: each table keeps nodes of its own family).</summary>
    public IReadOnlyList<NodeContact> ContactsOf(AddressFamily family) =>
        [.. Contacts.Where(c => c.EndPoint.AddressFamily == family).Take(MaxNodes)];

    private static readonly Lock SaveLock = new();

    /// <summary>Saves <paramref name="part"/>, the state of the node of <paramref name="family"/>, into the file at
    /// <paramref name="path"/>, keeping what the file holds of the other family (the other node of a dual-stack host
    /// saves there too).</summary>
    public static void SaveFamily(string path, AddressFamily family, DhtState part, Action<string>? log)
    {
        lock (SaveLock)
        {
            var existing = Load(path, log);
            var others = existing?.Nodes.Where(n => FamilyOf(n) is { } f && f != family) ?? [];
            var merged = family == AddressFamily.InterNetworkV6
                ? part with { Id = existing?.Id ?? part.Id, Address = existing?.Address, Nodes = [.. others, .. part.Nodes] }
                : part with { Id6 = existing?.Id6, Address6 = existing?.Address6, Nodes = [.. part.Nodes, .. others] };
            merged.Save(path);
        }
    }

    private static AddressFamily? FamilyOf(DhtStateNode node) =>
        IPEndPoint.TryParse(node.Address ?? "", out var endPoint) ? endPoint.AddressFamily : null;

    /// <summary>Reads the file at <paramref name="path"/>; null when there is none or it cannot be read (a start
    /// without it is still correct, only slower).</summary>
    public static DhtState? Load(string? path, Action<string>? log)
    {
        if (path is null || !File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), DhtJsonContext.Default.DhtState);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            log?.Invoke($"ignoring the saved DHT state {path}: {e.Message}");
            return null;
        }
    }

    /// <summary>Writes the state to <paramref name="path"/> atomically (a temporary file, then a rename).</summary>
    public void Save(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, DhtJsonContext.Default.DhtState));
        File.Move(temporary, path, overwrite: true);
    }

    private static NodeId? TryId(string? hex)
    {
        if (hex is not { Length: Dht.NodeId.Length * 2 }) return null;
        try { return Dht.NodeId.FromHex(hex); }
        catch (FormatException) { return null; }
    }
}

/// <summary>One saved node: its id in hex and its <c>ip:port</c>.</summary>
internal sealed record DhtStateNode(string Id, string Address);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DhtState))]
internal sealed partial class DhtJsonContext : JsonSerializerContext;
