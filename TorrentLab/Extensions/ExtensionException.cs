namespace TorrentLab.Extensions;

/// <summary>A peer that broke the extension protocol (BEP 10) or one of its extensions (BEP 9 ut_metadata, BEP 11
/// ut_pex); the message names the extension and what was wrong.</summary>
public sealed class ExtensionException : TorrentLabException
{
    public ExtensionException(string message, Exception? inner = null) : base(message, inner) { }
}
