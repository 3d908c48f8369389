namespace TorrentLab.Tests.Infrastructure;

/// <summary>The Python every python3-libtorrent helper starts with: a session that stays on 127.0.0.1 (no DHT, LSD,
/// UPnP, NAT-PMP, uTP, encryption or plugins, so no PEX) and a torrent added with DHT, LSD and PEX off.</summary>
internal static class LibtorrentScript
{
    /// <summary>Settings (JSON) that make libtorrent require MSE/PE with RC4 both ways: <c>in_enc_policy</c> and
    /// <c>out_enc_policy</c> = <c>enc_policy.forced</c> (0), <c>allowed_enc_level</c> = <c>enc_level.rc4</c> (2).</summary>
    public const string ForcedRc4 = """{"in_enc_policy": 0, "out_enc_policy": 0, "allowed_enc_level": 2}""";

    /// <summary>The settings (JSON) with <c>listen_interfaces</c> set to <c>[::1]:port</c> only (no IPv4 at all).</summary>
    public static string ListenOnIPv6(string settings, int port)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(settings)!.AsObject();
        json["listen_interfaces"] = $"[::1]:{port}";
        return json.ToJsonString();
    }

    /// <summary>Defines <c>on_disk(ses, h)</c>, for a helper that stays up after its download and whose file a test then
    /// reads. <c>is_seeding</c> turns true once every piece has passed its hash check, which can be before libtorrent's
    /// disk threads have written the last blocks to the file (a test once read 80 KiB of it and then zeros). So:
    /// <c>flush_cache</c> (a fence behind the torrent's pending writes) and its <c>cache_flushed_alert</c>, at most 30 s;
    /// the other alerts popped meanwhile go to <c>other</c>, if given. Needs <c>sys</c>, <c>time</c> and <c>lt</c>
    /// imported.</summary>
    public const string OnDisk = """
        def on_disk(ses, h, limit=30, other=None):
            mask = ses.get_settings()['alert_mask'] | int(lt.alert.category_t.storage_notification)
            ses.apply_settings({'alert_mask': mask})
            h.flush_cache()
            end = time.time() + limit
            while time.time() < end:
                ses.wait_for_alert(200)
                for a in ses.pop_alerts():
                    if isinstance(a, lt.cache_flushed_alert): return True
                    if other: other(a)
            return False

        """;

    /// <summary>Defines <c>loopback_session(port, base, extra)</c>, <c>add_torrent(ses, torrent, save_path)</c> and
    /// <see cref="OnDisk"/>'s <c>on_disk(ses, h)</c>.</summary>
    public const string Prelude = """
        import sys, time
        import libtorrent as lt

        def loopback_session(port, base=None, extra=None):
            settings = base if base is not None else {}
            settings.update({
                'listen_interfaces': '127.0.0.1:%d' % port,
                'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
                'enable_outgoing_utp': False, 'enable_incoming_utp': False,
                'allow_multiple_connections_per_ip': True,   # every peer here is 127.0.0.1
                'out_enc_policy': 2, 'in_enc_policy': 2,      # plain BitTorrent, no encryption
                'ssrf_mitigation': False,
            })
            settings.update(extra or {})
            return lt.session(settings, 0)                    # 0: no default plugins, so no PEX

        def add_torrent(ses, torrent, save_path, flags=0):
            atp = lt.add_torrent_params()
            atp.ti = lt.torrent_info(torrent)
            atp.save_path = save_path
            atp.flags = lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex | flags
            return ses.add_torrent(atp), atp.ti

        """ + OnDisk;
}
