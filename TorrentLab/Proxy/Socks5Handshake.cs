using System.Net.Sockets;

namespace TorrentLab.Proxy;

/// <summary>The client's side of a SOCKS5 exchange on a stream to the proxy: method selection, RFC 1929's user name
/// and password when the proxy asks for them, then one request and its reply (RFC 1928, sections 3 to 6).</summary>
internal static class Socks5Handshake
{
    /// <summary>Negotiates and sends <paramref name="request"/>; returns the proxy's reply, whatever its code.</summary>
    /// <exception cref="SocketException">The proxy closed the connection, refused our methods or credentials, or answered
    /// out of shape (the message says which).</exception>
    public static async Task<Socks5Reply> RunAsync(Stream stream, Socks5Proxy proxy, byte[] request, CancellationToken ct)
    {
        try
        {
            var withPassword = proxy.UserName is not null;
            await stream.WriteAsync(Socks5Messages.Greeting(withPassword), ct).ConfigureAwait(false);
            var selection = new byte[2];
            await stream.ReadExactlyAsync(selection, ct).ConfigureAwait(false);
            switch (Socks5Messages.ReadMethod(selection))
            {
                case Socks5Messages.NoAuthentication:
                    break;
                case Socks5Messages.UsernamePassword when withPassword:
                    await stream.WriteAsync(Socks5Messages.PasswordRequest(proxy.UserName!, proxy.Password ?? ""), ct).ConfigureAwait(false);
                    var status = new byte[2];
                    await stream.ReadExactlyAsync(status, ct).ConfigureAwait(false);
                    // RFC 1929 2: "If the server returns a `failure' (STATUS value other than X'00') status, it MUST close
                    // the connection."
                    if (!Socks5Messages.ReadPasswordReply(status))
                        throw Refused(SocketError.AccessDenied, $"the SOCKS5 proxy {proxy} refused the user name and password");
                    break;
                case Socks5Messages.NoAcceptableMethods:
                    throw Refused(SocketError.AccessDenied, withPassword
                        ? $"the SOCKS5 proxy {proxy} accepts neither no authentication nor a user name and password"
                        : $"the SOCKS5 proxy {proxy} wants authentication: give user:password@ in the proxy's URL");
                case var other:
                    throw Refused(SocketError.ProtocolNotSupported, $"the SOCKS5 proxy {proxy} chose method {other}, which we did not offer");
            }
            await stream.WriteAsync(request, ct).ConfigureAwait(false);
            var reply = new byte[4 + 1 + 255 + 2];
            await stream.ReadExactlyAsync(reply.AsMemory(0, 5), ct).ConfigureAwait(false);
            var length = Socks5Messages.ReplyLength(reply);
            await stream.ReadExactlyAsync(reply.AsMemory(5, length - 5), ct).ConfigureAwait(false);
            return Socks5Messages.ReadReply(reply.AsSpan(0, length));
        }
        catch (Exception e) when (e is Socks5Exception or EndOfStreamException or IOException && e is not SocketException)
        {
            throw Refused(SocketError.ConnectionReset, $"the SOCKS5 proxy {proxy} broke off: {e.Message}");
        }
    }

    /// <summary>A failure as the kernel's kind of error, so a caller handles a proxy's refusal as a direct one.</summary>
    public static SocketException Refused(SocketError error, string message) => new((int)error, message);
}
