using System.Diagnostics;
using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>Waits, after a socket is closed, until the kernel has let go of it, so its port can be bound again.</summary>
/// <remarks>Closing our descriptor releases a port only when it was the last one. A process this one starts is forked
/// with a copy of every descriptor and drops the copies marked close-on-exec (all of .NET's) only when it calls exec: a
/// UDP port closed in that window stays bound until the child gets that far, which on a loaded machine took long
/// enough for a rebind to fail with "address already in use" (a tracker restarted on its port, issue 51: 106 rebinds
/// of 400 failed while two threads started processes). The kernel lists every open socket with its inode
/// (<c>/proc/net/udp</c>); when ours is gone, no copy is left anywhere. Linux only; elsewhere the close is all.</remarks>
internal static class SocketRelease
{
    /// <summary>How long a close waits at most for the last copy to go (a child stuck before exec keeps it).</summary>
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>The inode the kernel knows the socket by, or null where that cannot be read (not Linux).</summary>
    internal static string? InodeOf(Socket socket)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            // /proc/self/fd/N links to "socket:[INODE]".
            var target = File.ResolveLinkTarget($"/proc/self/fd/{socket.Handle}", returnFinalTarget: false)?.FullName;
            if (target is null) return null;
            var open = target.IndexOf('[');
            return open >= 0 && target.EndsWith(']') ? target[(open + 1)..^1] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException) { return null; }
    }

    /// <summary>Returns when no process holds the UDP socket <paramref name="inode"/> any more, or after
    /// <see cref="Patience"/>; whether it is gone.</summary>
    internal static bool WaitUntilUdpGone(string? inode)
    {
        if (inode is null) return true;
        var waited = Stopwatch.StartNew();
        while (IsListed(inode, "/proc/net/udp") || IsListed(inode, "/proc/net/udp6"))
        {
            if (waited.Elapsed >= Patience) return false;
            Thread.Sleep(1); // a child's exec: microseconds on an idle machine, tens of milliseconds under load
        }
        return true;
    }

    // A line: "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...".
    private static bool IsListed(string inode, string table)
    {
        try
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', 11, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[9] == inode) return true;
            }
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; } // no such table here
    }
}
