namespace TorrentLab.Web;

/// <summary>A request the web API refuses, with the HTTP status to answer and one line saying why.</summary>
public sealed class WebApiException : TorrentLabException
{
    public WebApiException(int statusCode, string message, Exception? inner = null) : base(message, inner) => StatusCode = statusCode;

    /// <summary>400 bad input, 404 unknown torrent, 409 conflict, 413 too large...</summary>
    public int StatusCode { get; }
}
