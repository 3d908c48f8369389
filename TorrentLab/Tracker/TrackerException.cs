namespace TorrentLab.Tracker;

/// <summary>A tracker that failed: its own <c>failure reason</c>, a malformed answer, or a transport error.</summary>
public sealed class TrackerException : TorrentLabException
{
    public TrackerException(string message, Exception? inner = null) : base(message, inner) { }
}
