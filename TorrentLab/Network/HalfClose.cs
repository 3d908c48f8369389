using System.Net.Sockets;

namespace TorrentLab.Network;

/// <summary>A TCP stream that can close its sending side alone: a FIN goes after what was written, and reads go on
/// until the other side closes too (the kernel's <c>shutdown(SHUT_WR)</c>).</summary>
internal interface IHalfClosable
{
    /// <summary>Sends a FIN after what was written; later writes fail, reads go on.</summary>
    void CloseSending();
}

/// <summary>Half-closing a stream of any <see cref="INetwork"/>: a kernel socket's or one that is
/// <see cref="IHalfClosable"/>.</summary>
internal static class HalfClose
{
    /// <summary>Closes the sending side of <paramref name="stream"/> (what a server does before reading a client's last
    /// bytes, so that closing with unread input does not reset its answer: RFC 9112 section 9.6).</summary>
    /// <exception cref="NotSupportedException">The stream is not a TCP stream of a network.</exception>
    /// <exception cref="SocketException">The connection is gone.</exception>
    /// <exception cref="ObjectDisposedException">The stream was closed.</exception>
    public static void CloseSending(Stream stream)
    {
        switch (stream)
        {
            case NetworkStream kernel:
                kernel.Socket.Shutdown(SocketShutdown.Send);
                break;
            case IHalfClosable other:
                other.CloseSending();
                break;
            default:
                throw new NotSupportedException($"a {stream.GetType().Name} cannot close its sending side alone");
        }
    }
}
