#if !NET9_0_OR_GREATER
using System.Runtime.InteropServices;

namespace System;

/// <summary>The .NET 9 APIs the library calls that net8.0 lacks, written the same way there. They sit in the namespaces
/// of the APIs they stand in for, so the code that calls them reads the same on every target.</summary>
internal static class Net8Apis
{
    extension(Convert)
    {
        /// <summary>.NET 9's <c>Convert.ToHexStringLower</c>: the bytes as lowercase hex.</summary>
        public static string ToHexStringLower(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
    }

    /// <summary>.NET 9's <c>Enumerable.CountBy</c>: how many elements share each key, in the order keys first appear
    /// (a dictionary never removed from enumerates in insertion order).</summary>
    public static IEnumerable<KeyValuePair<TKey, int>> CountBy<TSource, TKey>(this IEnumerable<TSource> source,
        Func<TSource, TKey> keySelector) where TKey : notnull
    {
        var counts = new Dictionary<TKey, int>();
        foreach (var item in source) CollectionsMarshal.GetValueRefOrAddDefault(counts, keySelector(item), out _)++;
        return counts;
    }
}
#endif
