namespace TorrentLab.Web;

/// <summary>Download and upload limits in payload bytes per second (0: unlimited); in a request, a missing field
/// leaves that limit as it is.</summary>
public sealed record RateLimitSettings(long? DownloadRate, long? UploadRate);
