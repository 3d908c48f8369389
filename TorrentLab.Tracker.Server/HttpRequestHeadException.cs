namespace TorrentLab.Tracker.Server;

/// <summary>An HTTP request head the tracker will not answer: malformed, too long, or asking for what a tracker does
/// not do. The connection answers <see cref="StatusCode"/> with the message as its body, then closes.</summary>
internal sealed class HttpRequestHeadException(int statusCode, string message, int offset) : Exception(message)
{
    /// <summary>The HTTP status to answer: 400, 405, 431 or 505.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The byte of the head where the problem was found.</summary>
    public int Offset { get; } = offset;
}
