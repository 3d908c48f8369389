namespace TorrentLab.Web;

/// <summary>Transmission's <c>primary-mime-type</c> (rpc-version 17): the media type of the largest share of a torrent's
/// bytes, from the files' extensions; <c>application/octet-stream</c> when none is known.</summary>
internal static class MimeTypes
{
    private const string Unknown = "application/octet-stream";

    // The extensions seedbox content is mostly made of; anything else counts as Unknown.
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".mkv"] = "video/x-matroska", [".mp4"] = "video/mp4", [".m4v"] = "video/mp4", [".avi"] = "video/x-msvideo",
        [".webm"] = "video/webm", [".mov"] = "video/quicktime", [".ts"] = "video/mp2t", [".mpg"] = "video/mpeg",
        [".mp3"] = "audio/mpeg", [".flac"] = "audio/flac", [".ogg"] = "audio/ogg", [".opus"] = "audio/ogg",
        [".m4a"] = "audio/mp4", [".wav"] = "audio/x-wav", [".aac"] = "audio/aac",
        [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".png"] = "image/png", [".gif"] = "image/gif", [".webp"] = "image/webp",
        [".txt"] = "text/plain", [".nfo"] = "text/plain", [".srt"] = "text/plain", [".md"] = "text/markdown", [".html"] = "text/html",
        [".pdf"] = "application/pdf", [".epub"] = "application/epub+zip", [".zip"] = "application/zip",
        [".gz"] = "application/gzip", [".xz"] = "application/x-xz", [".bz2"] = "application/x-bzip2", [".7z"] = "application/x-7z-compressed",
        [".rar"] = "application/vnd.rar", [".tar"] = "application/x-tar", [".iso"] = "application/x-iso9660-image",
        [".img"] = "application/octet-stream", [".deb"] = "application/vnd.debian.binary-package", [".torrent"] = "application/x-bittorrent",
    };

    /// <summary>The media type holding the most bytes of the torrent (pad files left out).</summary>
    public static string PrimaryOf(TorrentLab.Metainfo.Torrent torrent)
    {
        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in torrent.Files)
        {
            if (file.IsPadding) continue;
            var type = ByExtension.GetValueOrDefault(Path.GetExtension(file.PathSegments[^1]), Unknown);
            bytes[type] = bytes.GetValueOrDefault(type) + file.Length;
        }
        return bytes.Count == 0 ? Unknown : bytes.MaxBy(p => p.Value).Key;
    }
}
