using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TorrentLab.Dht;

/// <summary>The saved routing table: our id and the nodes that were good, so a restart needs no bootstrap node.</summary>
/// <remarks>A small JSON file, for example:
/// <code>{ "id": "&lt;40 hex&gt;", "address": "203.0.113.7", "nodes": [ { "id": "&lt;40 hex&gt;", "address": "127.0.0.1:6881" } ] }</code>
/// where the top-level <c>address</c> (BEP 42: how other nodes see us) is there once they told us.</remarks>
internal sealed record DhtState(string Id, IReadOnlyList<DhtStateNode> Nodes)
{
    /// <summary>Most nodes saved: the table's good nodes rarely number more.</summary>
    public const int MaxNodes = 300;

    [JsonIgnore]
    public NodeId? NodeId => TryId(Id);

    /// <summary>BEP 42: our address as other nodes saw it (one a local network's is not kept: it binds no id).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Address { get; init; }

    /// <summary>The saved <see cref="Address"/> when it parses and is not exempt from BEP 42; the id must fit it.</summary>
    [JsonIgnore]
    public IPAddress? ExternalAddress =>
        IPAddress.TryParse(Address ?? "", out var address) && !SecureNodeId.IsExempt(address) ? address : null;

    /// <summary>The saved nodes that parse; the rest of a damaged file is skipped.</summary>
    [JsonIgnore]
    public IReadOnlyList<NodeContact> Contacts =>
        [.. Nodes.Take(MaxNodes).Select(n => (Id: TryId(n.Id), Ok: IPEndPoint.TryParse(n.Address ?? "", out var e), EndPoint: e))
            .Where(n => n.Id is not null && n.Ok && n.EndPoint!.Port > 0).Select(n => new NodeContact(n.Id!.Value, n.EndPoint!))];

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
