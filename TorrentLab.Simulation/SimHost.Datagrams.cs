using System.Net;

namespace TorrentLab.Simulation;

internal sealed partial class SimHost
{
    /// <summary>The host's datagrams, one uploader among its TCP connections: a queue that drops what would pass the
    /// link's <see cref="LinkSpec.QueueBytes"/>, each datagram then carried as <see cref="SimNetwork"/> says.</summary>
    private sealed class Datagrams(SimHost host) : IUploader
    {
        private readonly Queue<Datagram> _queue = new();
        private int _queued;

        public void Send(int port, IPEndPoint to, byte[] data)
        {
            var source = new IPEndPoint(host.Address, port);
            var log = host.Network.Log;
            if (host.Vanished)
            {
                log.Add(EventLog.Kind.Dropped, source, to, data.Length, "sender vanished");
                return;
            }
            if (_queued + data.Length > host.Link.Spec.QueueBytes)
            {
                log.Add(EventLog.Kind.Dropped, source, to, data.Length, "upload queue full");
                return;
            }
            log.Add(EventLog.Kind.Sent, source, to, data.Length);
            _queued += data.Length;
            _queue.Enqueue(new Datagram(this, source, to, data));
            host.Link.Wake(this);
        }

        public Transmission? Take()
        {
            if (!_queue.TryDequeue(out var next)) return null;
            _queued -= next.Length;
            return next;
        }

        /// <summary>One datagram on its way, from the moment it leaves the host's upload.</summary>
        private sealed class Datagram(Datagrams owner, IPEndPoint source, IPEndPoint to, byte[] data) : Transmission
        {
            public override int Length => data.Length;

            public override void Departed()
            {
                var host = owner.Host;
                var network = host.Network;
                if (host.Link.Spec.Loss > 0 && network.NextDouble() < host.Link.Spec.Loss)
                {
                    network.Log.Add(EventLog.Kind.Dropped, source, to, data.Length, "lost");
                    return;
                }
                var path = network.Route(host, udp: true, source, to);
                if (path.Refused is { } why)
                {
                    network.Log.Add(EventLog.Kind.Dropped, source, to, data.Length, why);
                    return;
                }
                var delay = network.Delay(host, path.Host);
                if (host.Link.Spec.Jitter > TimeSpan.Zero) delay += host.Link.Spec.Jitter * network.NextDouble();
                if (path.Host?.Link.Spec.Jitter is { } jitter && jitter > TimeSpan.Zero) delay += jitter * network.NextDouble();
                if (path.Host?.Link.Spec.Loss is { } loss && loss > 0 && network.NextDouble() < loss)
                {
                    network.Clock.Post(delay, static s =>
                    {
                        var (n, from, at, length) = ((SimNetwork, IPEndPoint, IPEndPoint, int))s!;
                        n.Log.Add(EventLog.Kind.Dropped, from, at, length, "lost");
                    }, (network, path.Source, to, data.Length));
                    return;
                }
                network.Clock.Post(delay, static s => ((Arrival)s!).Arrive(), new Arrival(network, path, to, data));
            }
        }

        public SimHost Host => host;
    }

    /// <summary>A datagram reaching the far end of its path: the NAT there, the receiver's download, its port.</summary>
    private sealed class Arrival(SimNetwork network, SimNetwork.Path path, IPEndPoint to, byte[] data)
    {
        public void Arrive()
        {
            if (path.Host is not { } host)
            {
                network.Log.Add(EventLog.Kind.Dropped, path.Source, to, data.Length, path.Nat is { } n ? $"no mapping at NAT {n.Name}" : "nobody there");
                return;
            }
            var at = to;
            if (path.Nat is { } nat)
            {
                if (nat.In(udp: true, to.Port, path.Source) is not { } inside)
                {
                    network.Log.Add(EventLog.Kind.Dropped, path.Source, to, data.Length, $"filtered by NAT {nat.Name}");
                    return;
                }
                at = inside;
            }
            if (host.Vanished)
            {
                network.Log.Add(EventLog.Kind.Dropped, path.Source, at, data.Length, "receiver vanished");
                return;
            }
            var done = host.Link.DownloadDone(data.Length);
            if (done <= network.Clock.NowTicks) Deliver(host, at);
            else network.Clock.PostAt(done, static s => { var (a, h, e) = ((Arrival, SimHost, IPEndPoint))s!; a.Deliver(h, e); }, (this, host, at));
        }

        private void Deliver(SimHost host, IPEndPoint at)
        {
            if (host.Vanished)
            {
                network.Log.Add(EventLog.Kind.Dropped, path.Source, at, data.Length, "receiver vanished");
                return;
            }
            if (host.UdpPortAt(at.Port) is not { } port)
            {
                network.Log.Add(EventLog.Kind.Dropped, path.Source, at, data.Length, "port closed");
                return;
            }
            network.Log.Add(EventLog.Kind.Delivered, path.Source, at, data.Length);
            port.Receive(data, path.Source);
        }
    }
}
