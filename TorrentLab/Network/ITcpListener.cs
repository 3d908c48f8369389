using System.Net;

namespace TorrentLab.Network;

/// <summary>A TCP port we listen on: connections come out of it one at a time, each a stream and the peer's address.</summary>
internal interface ITcpListener : IDisposable
{
    /// <summary>The address and port bound.</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>The next connection, or null when the peer left before it could be looked at (nothing to do then).</summary>
    /// <exception cref="ObjectDisposedException">The listener was closed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    Task<(Stream Stream, IPEndPoint Remote)?> AcceptAsync(CancellationToken ct);
}
