using System.Security.Cryptography;

namespace TorrentLab;

/// <summary>Where the engine's random choices come from: the system's generators (a cryptographic one for secrets:
/// keys, tokens, node ids, peer ids), or, in a simulation, one generator seeded for the whole process, so a run
/// replays exactly from its seed.</summary>
/// <remarks>A simulation runs in a process of its own on one thread (<c>TorrentLab.Simulation</c>), so one seeded
/// generator drawn from in a fixed order is enough. A real client never seeds it: secrets would stop being secret.</remarks>
internal static class Randomness
{
    private static Random? _seeded;

    /// <summary>Makes every random choice of this process come from one generator seeded with <paramref name="seed"/>.</summary>
    internal static void UseSeed(int seed) => _seeded = new Random(seed);

    /// <summary>For choices that need not be secret (tie-breaks, shuffles, connection ids): the process's shared
    /// generator, or the seeded one.</summary>
    public static Random Shared => _seeded ?? Random.Shared;

    /// <summary>A generator of its own for one owner (a choker, a DHT node): fresh, or drawn from the seeded one.</summary>
    public static Random NewRandom() => _seeded is { } seeded ? new Random(seeded.Next()) : new Random();

    /// <summary><paramref name="count"/> bytes for a secret (an MSE key, a token secret, a node id).</summary>
    public static byte[] Secret(int count)
    {
        var bytes = new byte[count];
        FillSecret(bytes);
        return bytes;
    }

    /// <summary>Fills <paramref name="bytes"/> for a secret.</summary>
    public static void FillSecret(Span<byte> bytes)
    {
        if (_seeded is { } seeded) seeded.NextBytes(bytes);
        else RandomNumberGenerator.Fill(bytes);
    }

    /// <summary>A number in [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>) no one may guess (a
    /// transaction id, a tracker key, padding).</summary>
    public static int SecretInt32(int fromInclusive, int toExclusive) =>
        _seeded?.Next(fromInclusive, toExclusive) ?? RandomNumberGenerator.GetInt32(fromInclusive, toExclusive);

    /// <summary>A number in [0, <paramref name="toExclusive"/>) no one may guess.</summary>
    public static int SecretInt32(int toExclusive) => SecretInt32(0, toExclusive);
}
