namespace TorrentLab.Network;

/// <summary>HTTP over a network: a <c>SocketsHttpHandler</c> whose connections a caller opens through the network
/// (its <c>ConnectCallback</c>), pooled only where the network allows it.</summary>
internal static class NetworkHttp
{
    /// <summary>A handler that opens every connection with <paramref name="connect"/>, no proxy and no cookies, keeping
    /// connections for <paramref name="lifetime"/> at most, or none where <paramref name="network"/> keeps none
    /// (<see cref="INetwork.KeepsHttpConnections"/>).</summary>
    public static SocketsHttpHandler Handler(INetwork network, TimeSpan lifetime,
        Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> connect)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,   // a proxy would dial on our behalf, out of the address policy's reach
            UseCookies = false,
            PooledConnectionLifetime = lifetime,
            ConnectCallback = connect,
        };
        if (!network.KeepsHttpConnections)
        {
            handler.PooledConnectionLifetime = TimeSpan.Zero;
            handler.PooledConnectionIdleTimeout = TimeSpan.Zero;
        }
        return handler;
    }
}
