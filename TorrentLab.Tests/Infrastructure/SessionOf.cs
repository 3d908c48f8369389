using TorrentLab.Downloads;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Changes the settings of the session a download makes for itself, as a test changes a copy of shared options:
/// <c>options.WithSession(s =&gt; s with { Dht = false })</c>. Session settings live on <see cref="SessionSettings"/> only.</summary>
public static class SessionOf
{
    public static DownloadOptions WithSession(this DownloadOptions options, Func<SessionSettings, SessionSettings> change) =>
        options with { Session = change(options.Session) };
}
