namespace TorrentLab.Utp;

/// <summary>Arithmetic on uTP's 16-bit sequence and ack numbers, which wrap from 65535 back to 0 (BEP 29).</summary>
/// <remarks>Like TCP, "later" is decided over half the number space: <c>b</c> is after <c>a</c> when going forward
/// from <c>a</c> reaches <c>b</c> in fewer than 32,768 steps. So 0 is after 65535, and 65535 is before 2.</remarks>
internal static class SequenceNumber
{
    /// <summary>The number <paramref name="steps"/> after <paramref name="value"/>, wrapping at 65536.</summary>
    public static ushort Add(ushort value, int steps) => (ushort)(value + steps);

    /// <summary>Steps forward from <paramref name="from"/> to <paramref name="to"/> (0..65535).</summary>
    public static int Distance(ushort from, ushort to) => (ushort)(to - from);

    /// <summary>True when <paramref name="b"/> comes strictly after <paramref name="a"/>.</summary>
    public static bool IsAfter(ushort b, ushort a) => b != a && Distance(a, b) < 0x8000;

    /// <summary>True when <paramref name="b"/> is <paramref name="a"/> or after it.</summary>
    public static bool IsAtOrAfter(ushort b, ushort a) => b == a || IsAfter(b, a);
}
