namespace TorrentLab.Tracker;

/// <summary>A tracker that failed: its own <c>failure reason</c>, a malformed answer, or a transport error.</summary>
public sealed class TrackerException : TorrentLabException
{
    public TrackerException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>The tracker's own words when it answered with a <c>failure reason</c> (BEP 3) or a BEP 15 error; else null.</summary>
    public string? FailureReason { get; init; }
}
