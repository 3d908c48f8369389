using System.Net;
using System.Security.Cryptography;

namespace TorrentLab.Dht;

/// <summary>The tokens of get_peers answers: a hash of the asker's IP address and a secret that rotates every five
/// minutes, so a token is accepted for five to ten minutes and only from the address it was given to.</summary>
/// <remarks>BEP 5: "the queried node must verify that the token was previously sent to the same IP address as the
/// querying node." and "The BitTorrent implementation uses the SHA1 hash of the IP address concatenated onto a secret
/// that changes every five minutes and tokens up to ten minutes old are accepted." We do the same and send the first
/// 8 bytes of the hash.</remarks>
internal sealed class TokenIssuer
{
    public static readonly TimeSpan Rotation = TimeSpan.FromMinutes(5);
    public const int TokenLength = 8;

    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private byte[] _current = Randomness.Secret(20);
    private byte[] _previous = Randomness.Secret(20);
    private DateTimeOffset _rotatedAt;

    public TokenIssuer(TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _rotatedAt = _clock.GetUtcNow();
    }

    /// <summary>The token for <paramref name="address"/> under the current secret.</summary>
    public byte[] Issue(IPAddress address)
    {
        lock (_lock)
        {
            Rotate();
            return Token(_current, address);
        }
    }

    /// <summary>Whether <paramref name="token"/> was issued to <paramref name="address"/> under the current or the
    /// previous secret (at most ten minutes ago).</summary>
    public bool IsValid(ReadOnlySpan<byte> token, IPAddress address)
    {
        lock (_lock)
        {
            Rotate();
            return CryptographicOperations.FixedTimeEquals(token, Token(_current, address))
                || CryptographicOperations.FixedTimeEquals(token, Token(_previous, address));
        }
    }

    private void Rotate()
    {
        var now = _clock.GetUtcNow();
        var periods = (now - _rotatedAt) / Rotation;
        if (periods < 1) return;
        // After two or more silent periods both secrets are stale: every token given out so far is too old.
        _previous = periods >= 2 ? Randomness.Secret(20) : _current;
        _current = Randomness.Secret(20);
        _rotatedAt = now;
    }

    private static byte[] Token(byte[] secret, IPAddress address)
    {
        var ip = address.IsIPv4MappedToIPv6 ? address.MapToIPv4().GetAddressBytes() : address.GetAddressBytes();
        return SHA1.HashData([.. ip, .. secret])[..TokenLength];
    }
}
