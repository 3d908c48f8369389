using System.Net.Sockets;
using System.Text;

namespace TorrentLab.Cli.Service;

/// <summary>Tells systemd how the service is doing (<c>sd_notify(3)</c>): one datagram of <c>KEY=value</c> lines to the
/// unix socket named by <c>NOTIFY_SOCKET</c>, which systemd sets for a <c>Type=notify</c> unit.</summary>
/// <remarks>
/// <code>
/// READY=1            the service is up (serve: listening, torrents loaded)
/// RELOADING=1        reloading its settings (SIGHUP); READY=1 follows when done. MONOTONIC_USEC goes with it, as
///                    systemd 253 asks of a Type=notify-reload service: CLOCK_MONOTONIC in microseconds
/// STOPPING=1         shutting down
/// STATUS=...         one line for 'systemctl status'
/// </code>
/// A name starting with '@' is in the abstract namespace (its first byte is NUL on the wire). Without
/// <c>NOTIFY_SOCKET</c> nothing is sent; a send that fails is ignored, as sd_notify's callers do: the service runs on.
/// </remarks>
internal sealed class SystemdNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _target;

    private SystemdNotifier(Socket socket, UnixDomainSocketEndPoint target) => (_socket, _target) = (socket, target);

    /// <summary>A notifier for the socket <c>NOTIFY_SOCKET</c> names, or null when it names none (not under systemd).</summary>
    public static SystemdNotifier? FromEnvironment()
    {
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path) || !(path[0] is '/' or '@') || !OperatingSystem.IsLinux()) return null;
        var target = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        return new SystemdNotifier(new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified), target);
    }

    /// <summary>Sends <paramref name="state"/>, lines of <c>KEY=value</c>.</summary>
    public void Notify(string state)
    {
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _target);
        }
        catch (SocketException) { } // systemd gone or the socket full: notifications are advice, the service goes on
    }

    public void Ready(string status) => Notify($"READY=1\nSTATUS={status}\nMAINPID={Environment.ProcessId}");

    public void Reloading() => Notify($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}\nSTATUS=reloading its settings");

    public void Stopping() => Notify("STOPPING=1\nSTATUS=stopping: pausing torrents and saving their ledgers");

    /// <summary>CLOCK_MONOTONIC in microseconds: .NET's Stopwatch reads that clock on Linux.</summary>
    private static long MonotonicMicroseconds() =>
        (long)(System.Diagnostics.Stopwatch.GetTimestamp() / (double)System.Diagnostics.Stopwatch.Frequency * 1_000_000);

    public void Dispose() => _socket.Dispose();
}
