using System.Net;

namespace TorrentLab.Web;

/// <summary>Bans an address after repeated wrong credentials, as qBittorrent's WebUI does (WebUI\MaxAuthenticationFailCount,
/// default 5, and WebUI\BanDuration, default 3600 s): the failure that reaches the count bans the address, and while it
/// is banned every login from it is refused, the right password included. One throttle serves every door of the
/// server: the qBittorrent login, a wrong token or Basic password on the REST API and on Transmission's RPC.</summary>
/// <remarks>Only a credential that is presented and wrong counts: a request with none (a client's first call, before it
/// learns it needs one) does not. A success forgets the address's failures. Failures older than the ban duration are
/// forgotten, and at most <see cref="MaxAddresses"/> addresses are remembered (the stalest go first), so a flood of
/// addresses costs a bounded table. Behind a reverse proxy every client has the proxy's address: one client's
/// failures then ban them all for the duration (the same as qBittorrent behind a proxy without its
/// reverse-proxy setting).</remarks>
internal sealed class LoginThrottle(int maxFailures, TimeSpan banDuration, TimeProvider clock, Action<string>? log)
{
    /// <summary>The text qBittorrent answers a banned address with (its 403 body).</summary>
    public const string BannedText = "Your IP address has been banned after too many failed authentication attempts.";

    private const int MaxAddresses = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, (int Failures, DateTimeOffset Last, DateTimeOffset? BannedUntil)> _addresses = [];

    /// <summary>True while <paramref name="address"/> is banned; logs the refusal.</summary>
    public bool IsBanned(IPAddress? address, string door)
    {
        if (address is null || maxFailures == 0) return false;
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (!_addresses.TryGetValue(address, out var entry) || entry.BannedUntil is not { } until) return false;
            if (now >= until)
            {
                _addresses.Remove(address); // the ban is over: a fresh count
                return false;
            }
            log?.Invoke($"refused a login from {address} ({door}): banned until {until:u} after {maxFailures} failed logins");
            return true;
        }
    }

    /// <summary>Counts a wrong credential from <paramref name="address"/>; the one that reaches the count bans it.</summary>
    public void Failed(IPAddress? address, string door)
    {
        if (address is null) return;
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            var (failures, last, _) = _addresses.GetValueOrDefault(address);
            if (now - last >= banDuration) failures = 0; // an old failure is forgotten
            failures++;
            DateTimeOffset? bannedUntil = maxFailures > 0 && failures >= maxFailures ? now + banDuration : null;
            if (!_addresses.ContainsKey(address) && _addresses.Count >= MaxAddresses) ForgetStalest(now);
            _addresses[address] = (failures, now, bannedUntil);
            log?.Invoke(bannedUntil is { } until
                ? $"refused a login from {address} ({door}): wrong credentials, {failures} failures: banned until {until:u}"
                : $"refused a login from {address} ({door}): wrong credentials ({failures} of {(maxFailures > 0 ? maxFailures.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unlimited")})");
        }
    }

    /// <summary>Forgets the failures of <paramref name="address"/> after a login that succeeded.</summary>
    public void Succeeded(IPAddress? address)
    {
        if (address is null) return;
        lock (_lock) _addresses.Remove(address);
    }

    private void ForgetStalest(DateTimeOffset now)
    {
        foreach (var (address, entry) in _addresses.ToList())
            if (now - entry.Last >= banDuration && (entry.BannedUntil is null || entry.BannedUntil <= now)) _addresses.Remove(address);
        if (_addresses.Count < MaxAddresses) return;
        // Still full: the stalest address that is not banned goes (a banned one stays banned).
        var stalest = _addresses.Where(a => a.Value.BannedUntil is null).OrderBy(a => a.Value.Last).Select(a => a.Key).FirstOrDefault()
            ?? _addresses.OrderBy(a => a.Value.Last).First().Key;
        _addresses.Remove(stalest);
    }
}
