using System.Runtime.InteropServices;

namespace TorrentLab.Compat;

/// <summary>Processor architectures newer than net8.0's <see cref="Architecture"/> enum, as constants a switch can match.</summary>
internal static class Architectures
{
    /// <summary>RISC-V 64 (<c>Architecture.RiscV64</c> from .NET 9 on, the same value).</summary>
    public const Architecture RiscV64 = (Architecture)9;
}
