namespace TorrentLab.Downloads;

/// <summary>A download that cannot finish: no peer could deliver the missing pieces, or every peer misbehaved.</summary>
public sealed class DownloadFailedException : TorrentLabException
{
    public DownloadFailedException(string message, Exception? inner = null) : base(message, inner) { }
}
