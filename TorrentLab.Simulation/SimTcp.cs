using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Simulation;

/// <summary>Opening a simulated TCP connection: the SYN's way to the listener (through both NATs), the SYN-ACK or
/// RST back.</summary>
internal static class SimTcp
{
    /// <summary>Dials <paramref name="remote"/> from <paramref name="host"/>: the stream once the SYN-ACK is back, a
    /// refusal once the RST is, or nothing until <paramref name="ct"/> (no listener reachable: the dialler's timeout).</summary>
    public static Task<Stream> ConnectAsync(SimHost host, IPEndPoint remote, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var network = host.Network;
        var dialled = new TaskCompletionSource<Stream>(TaskCreationOptions.RunContinuationsAsynchronously);
        var port = host.TakeTcpPort();
        var source = new IPEndPoint(host.Address, port);
        if (remote.Address.IsIPv4MappedToIPv6) remote = new IPEndPoint(remote.Address.MapToIPv4(), remote.Port);
        network.Log.Add(EventLog.Kind.Connect, source, remote, 0);
        var registration = ct.Register(static s =>
        {
            var (h, p, d) = ((SimHost, int, TaskCompletionSource<Stream>))s!;
            if (d.TrySetCanceled()) h.ReleaseTcpPort(p);
        }, (host, port, dialled));
        _ = dialled.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (remote.AddressFamily != AddressFamily.InterNetwork)
        {
            dialled.TrySetException(new SocketException((int)SocketError.NetworkUnreachable));
            host.ReleaseTcpPort(port);
            return dialled.Task;
        }
        if (host.Vanished) return dialled.Task; // nothing leaves: the dialler waits out its timeout
        var path = network.Route(host, udp: false, source, remote);
        if (path.Refused is { } why)
        {
            network.Log.Add(EventLog.Kind.Dropped, source, remote, 0, $"SYN: {why}");
            return dialled.Task;
        }
        var delay = network.Delay(host, path.Host);
        network.Clock.Post(delay, static s => ((Syn)s!).Arrive(), new Syn(host, source, remote, path, delay, dialled));
        return dialled.Task;
    }

    /// <summary>A SYN on its way to the listener.</summary>
    private sealed class Syn(SimHost from, IPEndPoint source, IPEndPoint remote, SimNetwork.Path path, TimeSpan delay,
        TaskCompletionSource<Stream> dialled)
    {
        public void Arrive()
        {
            var network = from.Network;
            if (dialled.Task.IsCompleted) return; // given up already
            if (path.Host is not { } to || to.Vanished)
            {
                network.Log.Add(EventLog.Kind.Dropped, path.Source, remote, 0, "SYN: nobody there");
                return;
            }
            var at = remote;
            if (path.Nat is { } nat)
            {
                if (nat.In(udp: false, remote.Port, path.Source) is not { } inside)
                {
                    network.Log.Add(EventLog.Kind.Dropped, path.Source, remote, 0, $"SYN: filtered by NAT {nat.Name}");
                    return;
                }
                at = inside;
            }
            if (to.ListenerAt(at.Port) is not { Closed: false } listener)
            {
                network.Log.Add(EventLog.Kind.Refused, path.Source, at, 0);
                network.Clock.Post(delay, static s =>
                {
                    var (h, p, d) = ((SimHost, int, TaskCompletionSource<Stream>))s!;
                    if (!h.Vanished && d.TrySetException(new SocketException((int)SocketError.ConnectionRefused))) h.ReleaseTcpPort(p);
                }, (from, source.Port, dialled));
                return;
            }
            // The server's end names the dialler as it sees it (the NAT's outside address); the dialler's end names
            // the address it dialled.
            var (client, server) = SimTcpStream.Pair(from, source, remote, to, at, path.Source, delay);
            if (!listener.Offer(server))
            {
                network.Log.Add(EventLog.Kind.Dropped, path.Source, at, 0, "SYN: the accept backlog is full");
                return;
            }
            network.Log.Add(EventLog.Kind.Accepted, path.Source, at, 0);
            network.Clock.Post(delay, static s =>
            {
                var (h, c, d) = ((SimHost, SimTcpStream, TaskCompletionSource<Stream>))s!;
                if (!h.Vanished && d.TrySetResult(c)) c.OwnsPort = true;
                else c.Dispose(); // the dialler gave up meanwhile: its end closes
            }, (from, client, dialled));
        }
    }
}
