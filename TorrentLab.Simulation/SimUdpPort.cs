using System.Net;
using TorrentLab.Network;

namespace TorrentLab.Simulation;

/// <summary>A UDP port of a simulated host: what it sends joins the host's upload; each datagram that reaches it is
/// handed to its handler as its own event, and ends its own burst.</summary>
internal sealed class SimUdpPort(SimHost host, IPEndPoint local, int maxDatagram) : IUdpPort
{
    private Action<ReadOnlyMemory<byte>, IPEndPoint>? _onDatagram;
    private Action? _onBurstEnd;
    private bool _closed;

    public IPEndPoint LocalEndPoint { get; } = local;

    public void Send(ReadOnlySpan<byte> datagram, IPEndPoint to)
    {
        if (_closed) return;
        host.SendDatagram(LocalEndPoint.Port, to, datagram.ToArray());
    }

    public void Start(Action<ReadOnlyMemory<byte>, IPEndPoint> onDatagram, Action? onBurstEnd = null)
    {
        if (_onDatagram is not null) throw new InvalidOperationException("the UDP port is read already");
        _onDatagram = onDatagram;
        _onBurstEnd = onBurstEnd;
    }

    /// <summary>A datagram arrived (cut to the port's longest, as the kernel does).</summary>
    internal void Receive(byte[] data, IPEndPoint from)
    {
        if (_closed || _onDatagram is not { } handler) return;
        handler(data.AsMemory(0, Math.Min(data.Length, maxDatagram)), from);
        _onBurstEnd?.Invoke();
    }

    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        host.Unbind(this);
    }
}
