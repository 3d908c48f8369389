using System.Text.Json;
using System.Text.Json.Serialization;

namespace TorrentLab.Web;

/// <summary>Source-generated JSON for the REST API, the live updates and the saved torrent list.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TorrentSummary))]
[JsonSerializable(typeof(TorrentSummary[]))]
[JsonSerializable(typeof(TorrentDetails))]
[JsonSerializable(typeof(TraceLine[]))]
[JsonSerializable(typeof(AddByPathRequest))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(TorrentListDocument))]
[JsonSerializable(typeof(TorrentEntry))]
[JsonSerializable(typeof(LiveMessage))]
[JsonSerializable(typeof(LiveRequest))]
[JsonSerializable(typeof(RateLimitSettings))]
[JsonSerializable(typeof(AltSpeedSettings))]
[JsonSerializable(typeof(AddByLinkRequest))]
[JsonSerializable(typeof(WebSettings))]
[JsonSerializable(typeof(TorrentLab.Tracker.BlocklistLoad))]
[JsonSerializable(typeof(SeedPolicy))]
[JsonSerializable(typeof(BulkRequest))]
[JsonSerializable(typeof(BulkResult[]))]
[JsonSerializable(typeof(TorrentTotals))]
[JsonSerializable(typeof(FileEntry[]))]
[JsonSerializable(typeof(FilePrioritiesRequest))]
[JsonSerializable(typeof(MoveRequest))]
[JsonSerializable(typeof(TrackersRequest))]
[JsonSerializable(typeof(PeerRequest))]
[JsonSerializable(typeof(CategoryRequest))]
[JsonSerializable(typeof(QueueRequest))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(ShareRequest))]
[JsonSerializable(typeof(ShareResult))]
[JsonSerializable(typeof(WhyReport))]
[JsonSerializable(typeof(PieceMap))]
internal sealed partial class WebJsonContext : JsonSerializerContext;
