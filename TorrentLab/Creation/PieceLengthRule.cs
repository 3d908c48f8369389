namespace TorrentLab.Creation;

/// <summary>Which piece lengths a new torrent may use, and the automatic choice when the user gives none.</summary>
/// <remarks>BEP 3 only says the piece length is "almost always a power of two". The automatic rule is the one
/// libtorrent 2.0 uses (checked against <c>lt.create_torrent(fs, 0)</c> on this machine): the piece hash list grows
/// like the square root of the total size, which keeps a torrent between about 160 and 2,600 pieces from 2.6 MB to
/// 700 GB, from 16 KiB up to 16 MiB. mktorrent 1.1 has no automatic rule (it always uses 256 KiB).</remarks>
public static class PieceLengthRule
{
    /// <summary>16 KiB: the block size every client requests; a smaller piece cannot be requested whole.</summary>
    public const int Min = 16 * 1024;

    /// <summary>16 MiB: the largest automatic choice, and the largest we accept (a piece is hashed in memory).</summary>
    public const int Max = 16 * 1024 * 1024;

    // Largest total size (inclusive) that still gets Min << i; above the last entry, Max.
    private static readonly long[] Thresholds =
    [
        2_684_355,       // -> 16 KiB
        10_737_418,      // -> 32 KiB
        42_949_673,      // -> 64 KiB
        171_798_692,     // -> 128 KiB
        687_194_767,     // -> 256 KiB
        2_748_779_069,   // -> 512 KiB
        10_995_116_278,  // -> 1 MiB
        43_980_465_111,  // -> 2 MiB
        175_921_860_444, // -> 4 MiB
        703_687_441_777, // -> 8 MiB
    ];

    /// <summary>The automatic piece length for a payload of <paramref name="totalLength"/> bytes.</summary>
    public static int Automatic(long totalLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalLength);
        var step = 0;
        while (step < Thresholds.Length && totalLength > Thresholds[step]) step++;
        return Min << step;
    }

    /// <summary>True for a power of two from <see cref="Min"/> to <see cref="Max"/>.</summary>
    public static bool IsValid(long pieceLength) =>
        pieceLength is >= Min and <= Max && (pieceLength & (pieceLength - 1)) == 0;

    /// <summary>Throws unless <paramref name="pieceLength"/> is <see cref="IsValid"/>.</summary>
    public static void Validate(long pieceLength)
    {
        if (!IsValid(pieceLength))
            throw new ArgumentOutOfRangeException(nameof(pieceLength), pieceLength,
                $"piece length must be a power of two from {Min} (16 KiB) to {Max} (16 MiB), got {pieceLength}");
    }
}
