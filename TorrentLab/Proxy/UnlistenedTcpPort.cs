using System.Net;
using TorrentLab.Network;

namespace TorrentLab.Proxy;

/// <summary>The peer port of a session that takes no incoming connections (a proxy only): no socket at all, a number
/// to announce, and an accept that waits until it is cancelled or closed.</summary>
internal sealed class UnlistenedTcpPort : ITcpListener
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A port at <paramref name="local"/>; port 0 takes a number from the dynamic range (RFC 6335: 49152-65535),
    /// which the UDP port of the same number then binds (another is tried if it is taken).</summary>
    public UnlistenedTcpPort(IPEndPoint local) =>
        LocalEndPoint = local.Port != 0 ? local : new IPEndPoint(local.Address, Random.Shared.Next(49152, 65536));

    public IPEndPoint LocalEndPoint { get; }

    public async Task<(Stream Stream, IPEndPoint Remote)?> AcceptAsync(CancellationToken ct)
    {
        await _closed.Task.WaitAsync(ct).ConfigureAwait(false);
        throw new ObjectDisposedException(nameof(UnlistenedTcpPort));
    }

    public void Dispose() => _closed.TrySetResult();
}
