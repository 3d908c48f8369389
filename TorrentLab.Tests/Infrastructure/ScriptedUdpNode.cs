using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A scripted UDP peer on 127.0.0.1 that a test runs the CLI against: its script runs on a thread of its own.
/// <see cref="CliRunner.Run"/> holds the test's thread-pool thread while the command runs, and on a loaded machine the
/// pool can take seconds to lend another: a script awaiting on the pool answered after a command's 10 s timeout (a
/// clean-clone run at load ~50). A receive gives up after a minute, so a script waiting for a datagram that never
/// comes ends.</summary>
internal sealed class ScriptedUdpNode : IDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _events = new();

    /// <summary>What the node did and when (ms since it was made), for a test's failure message.</summary>
    public string Events => string.Join(", ", _events);

    /// <summary>Notes <paramref name="what"/> with the time, for <see cref="Events"/>.</summary>
    public void Note(string what) => _events.Enqueue($"{what} at {_clock.ElapsedMilliseconds} ms");

    public ScriptedUdpNode() => _udp.Client.ReceiveTimeout = 60_000;

    /// <summary>Where it listens, as the CLI takes it (<c>127.0.0.1:port</c>).</summary>
    public string Address => _udp.Client.LocalEndPoint!.ToString()!;

    /// <summary>The next datagram and its sender (blocking; a <see cref="SocketException"/> after a minute of none).</summary>
    public (byte[] Data, IPEndPoint From) Receive()
    {
        IPEndPoint? from = null;
        var data = _udp.Receive(ref from);
        Note($"received {data.Length} bytes");
        return (data, from!);
    }

    public void Send(byte[] data, IPEndPoint to)
    {
        _udp.Send(data, to);
        Note($"sent {data.Length} bytes");
    }

    /// <summary>Starts <paramref name="script"/> on a thread of its own; its result, or what it threw.</summary>
    public Task<T> Run<T>(Func<ScriptedUdpNode, T> script)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            Note("script started");
            try { done.SetResult(script(this)); }
            catch (Exception e) { done.SetException(e); }
        }) { IsBackground = true, Name = "scripted UDP node" }.Start();
        return done.Task;
    }

    public void Dispose() => _udp.Dispose();
}
