using System.Text.Json.Serialization;

namespace TorrentLab.Lab;

/// <summary>JSON for the lab's reports, generated at build time.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class LabJsonContext : JsonSerializerContext;
