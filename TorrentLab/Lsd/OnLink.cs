using System.Net;
using TorrentLab.Network;

namespace TorrentLab.Lsd;

/// <summary>Whether an address is on one of this machine's links: loopback, link-local, or inside the prefix of an
/// address of one of our interfaces. BEP 14 announces are multicast with a TTL of 1, so an honest one never crosses a
/// router: a datagram from an off-link source is forged or routed on purpose, and its sender is never dialled.</summary>
internal sealed class OnLink(Func<IReadOnlyList<(IPAddress Address, int PrefixLength)>>? interfaces = null, TimeProvider? clock = null)
{
    /// <summary>How long the interfaces' prefixes are cached (an address may come or go as a laptop moves).</summary>
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(30);

    private readonly Func<IReadOnlyList<(IPAddress, int)>> _interfaces = interfaces ?? MachinePrefixes;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private IReadOnlyList<(IPAddress Address, int PrefixLength)> _prefixes = [];
    private DateTimeOffset _read = DateTimeOffset.MinValue;

    /// <summary>True when <paramref name="address"/> is on one of our links.</summary>
    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal) return true;
        var bytes = address.GetAddressBytes();
        if (bytes.Length == 4 && bytes[0] == 169 && bytes[1] == 254) return true;
        return Prefixes().Any(p => p.Address.AddressFamily == address.AddressFamily && SamePrefix(p.Address.GetAddressBytes(), bytes, p.PrefixLength));
    }

    private IReadOnlyList<(IPAddress Address, int PrefixLength)> Prefixes()
    {
        var now = _clock.GetUtcNow();
        lock (_lock)
        {
            if (now - _read >= Refresh)
            {
                _prefixes = _interfaces();
                _read = now;
            }
            return _prefixes;
        }
    }

    private static bool SamePrefix(byte[] a, byte[] b, int bits)
    {
        for (var i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xFF : 0xFF << (8 - bits) & 0xFF;
            if ((a[i] & mask) != (b[i] & mask)) return false;
        }
        return true;
    }

    /// <summary>The unicast addresses of the machine's interfaces that are up, with their prefix lengths.</summary>
    private static IReadOnlyList<(IPAddress, int)> MachinePrefixes() =>
        [.. SystemNetwork.Instance.Interfaces().Where(i => i.Up).Select(i => (i.Address, i.PrefixLength))];
}
