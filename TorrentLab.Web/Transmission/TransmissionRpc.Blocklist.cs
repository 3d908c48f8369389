using System.Text.Json;

namespace TorrentLab.Web;

// The blocklist (rpc-spec 4.4 blocklist-update, and session-get/set's blocklist-enabled, blocklist-url, blocklist-size).
internal sealed partial class TransmissionRpc
{
    /// <summary>rpc-spec 4.4: reads the list again from <c>blocklist-url</c> and answers its size.</summary>
    private async Task UpdateBlocklistAsync(Utf8JsonWriter w, CancellationToken ct)
    {
        var read = await _torrents.Blocklist.UpdateAsync(ct).ConfigureAwait(false);
        w.WriteNumber("blocklist-size", read.Ranges);
    }

    /// <summary>Refuses a <c>blocklist-url</c> that is neither an http(s) URL nor an absolute path, before session-set
    /// applies anything.</summary>
    private static void CheckBlocklist(JsonElement args)
    {
        if (TransmissionArguments.String(args, "blocklist-url") is { Length: > 0 } url && !ServerBlocklist.IsSource(url))
            throw Unsupported($"blocklist-url must be an http(s) URL or the absolute path of a file on the server, got '{UntrustedText.Clean(url, 120)}'");
    }

    /// <summary>session-set's <c>blocklist-url</c> (an http(s) URL, or a file's absolute path on the server; read at
    /// once, so a list that cannot be read is refused) and <c>blocklist-enabled</c>.</summary>
    private async Task SetBlocklistAsync(JsonElement args, CancellationToken ct)
    {
        var url = TransmissionArguments.String(args, "blocklist-url");
        var enabled = TransmissionArguments.Bool(args, "blocklist-enabled");
        if (url is null && enabled is null) return;
        if (url == (_torrents.Settings.Blocklist ?? "") && enabled is null) return; // a dialog sent back as it is
        await _torrents.Blocklist.SetAsync(url, enabled, ct).ConfigureAwait(false);
    }
}
