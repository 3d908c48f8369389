using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using TorrentLab.PortMapping;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>A PCP and NAT-PMP gateway on 127.0.0.1 for the client's tests: it answers MAP requests (PCP) and mapping and
/// external-address requests (NAT-PMP) as a test sets it to, and keeps every request it received.</summary>
/// <remarks>The test sets what it speaks (<see cref="SpeaksPcp"/>: else a PCP request gets NAT-PMP's "Unsupported
/// Version"), the port it grants (<see cref="GrantPort"/>: 0 grants the port suggested, else the internal port), the
/// result code of its answers, its epoch, or silence. The test classes that start one share
/// <see cref="PortMappingCollection"/>: a client of one test still sending to a gateway another test closed must not
/// find a third test's gateway on that port.</remarks>
internal sealed class FakeNatGateway : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();

    public FakeNatGateway(int port = 0)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        EpochClock = TimeProvider.System;
        _ = Task.Run(LoopAsync);
    }

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<byte[]> Requests { get; } = new();

    /// <summary>Where the last request came from.</summary>
    public IPEndPoint? LastSender { get; private set; }

    public bool SpeaksPcp { get; set; } = true;
    public bool Silent { get; set; }
    public int GrantPort { get; set; }
    public byte ResultCode { get; set; }
    public uint Lifetime { get; set; } = 3600;
    public uint Epoch { get; set; } = 1000;

    /// <summary>The epoch answered counts on from <see cref="Epoch"/> with this clock, as a gateway's does (the system's
    /// by default; a test on a manual clock gives its own, or null for an epoch that stands still).</summary>
    public TimeProvider? EpochClock
    {
        get;
        set
        {
            field = value;
            _epochStart = value?.GetUtcNow() ?? default;
        }
    }

    private DateTimeOffset _epochStart;

    private uint EpochNow => EpochClock is { } clock ? Epoch + (uint)(clock.GetUtcNow() - _epochStart).TotalSeconds : Epoch;
    public IPAddress External { get; set; } = IPAddress.Parse("1.2.3.4");

    /// <summary>PCP MAP requests received (lifetime 0: deletions).</summary>
    public IReadOnlyList<(IpProtocol Protocol, int Internal, int Suggested, uint Lifetime, byte[] Nonce)> PcpMaps =>
        [.. Requests.Where(r => r.Length == PcpMessages.MapRequestSize && r[0] == 2).Select(r => ((IpProtocol)r[36],
            (int)BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(40)), (int)BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(42)),
            BinaryPrimitives.ReadUInt32BigEndian(r.AsSpan(4)), r[24..36]))];

    /// <summary>NAT-PMP mapping requests received (lifetime 0: deletions).</summary>
    public IReadOnlyList<(IpProtocol Protocol, int Internal, int Suggested, uint Lifetime)> NatPmpMaps =>
        [.. Requests.Where(r => r.Length == 12 && r[0] == 0 && r[1] is 1 or 2).Select(r => (r[1] == 1 ? IpProtocol.Udp : IpProtocol.Tcp,
            (int)BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(4)), (int)BinaryPrimitives.ReadUInt16BigEndian(r.AsSpan(6)),
            BinaryPrimitives.ReadUInt32BigEndian(r.AsSpan(8))))];

    private async Task LoopAsync()
    {
        var buffer = new byte[2048];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try { received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            var request = buffer[..received.ReceivedBytes];
            if (!IsRequest(request)) continue;
            LastSender = (IPEndPoint)received.RemoteEndPoint;
            Requests.Enqueue(request);
            if (Silent || Answer(request) is not { } answer) continue;
            try { await _socket.SendToAsync(answer, SocketFlags.None, received.RemoteEndPoint); }
            catch (Exception e) when (e is ObjectDisposedException or SocketException) { return; }
        }
    }

    /// <summary>Whether <paramref name="datagram"/> is a PCP or NAT-PMP request, the only datagrams the gateway keeps:
    /// on 127.0.0.1 its port may be one another test freed a moment ago, and what that test still sends there (a DHT
    /// query, a uTP packet, a UDP tracker's connect) is not its client's.</summary>
    private static bool IsRequest(byte[] datagram) =>
        datagram is [2, < 128, ..] && datagram.Length >= 24 && datagram.Length % 4 == 0 // RFC 6887 7.1: a PCP request
        || datagram is [0, 0] || datagram is [0, 1 or 2, ..] && datagram.Length == 12; // RFC 6886 3.2 and 3.3

    private byte[]? Answer(byte[] request)
    {
        if (request.Length >= 2 && request[0] == 2)
        {
            if (!SpeaksPcp) return [0, 0, 0, (byte)NatPmpMessages.UnsupportedVersion, .. Be32(EpochNow)];
            var answer = new byte[PcpMessages.MapAnswerSize];
            answer[0] = 2;
            answer[1] = 0x81;
            answer[3] = ResultCode;
            var lifetime = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(4));
            BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(4), lifetime == 0 ? 0 : Lifetime);
            BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(8), EpochNow);
            request.AsSpan(24, 20).CopyTo(answer.AsSpan(24)); // nonce, protocol, reserved, internal port
            BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(42), (ushort)Granted(request.AsSpan(40), request.AsSpan(42), lifetime));
            PcpMessages.WriteAddress(answer.AsSpan(44, 16), External);
            return answer;
        }
        if (request.Length == 2 && request[0] == 0 && request[1] == 0)
            return [0, 128, 0, ResultCode, .. Be32(EpochNow), .. External.GetAddressBytes()];
        if (request.Length == 12 && request[0] == 0 && request[1] is 1 or 2)
        {
            var lifetime = BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(8));
            var granted = ResultCode != 0 ? 0 : Granted(request.AsSpan(4), request.AsSpan(6), lifetime);
            return [0, (byte)(128 + request[1]), 0, ResultCode, .. Be32(EpochNow), request[4], request[5],
                (byte)(granted >> 8), (byte)granted, .. Be32(lifetime == 0 || ResultCode != 0 ? 0 : Lifetime)];
        }
        return null;
    }

    private int Granted(ReadOnlySpan<byte> internalPort, ReadOnlySpan<byte> suggested, uint lifetime)
    {
        if (lifetime == 0) return 0;
        if (GrantPort != 0) return GrantPort;
        var asked = BinaryPrimitives.ReadUInt16BigEndian(suggested);
        return asked != 0 ? asked : BinaryPrimitives.ReadUInt16BigEndian(internalPort);
    }

    private static byte[] Be32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }
}

/// <summary>The tests of PCP, NAT-PMP and the session's port mapping, one at a time: each class starts
/// <see cref="FakeNatGateway"/>s on free ports of 127.0.0.1 and counts the requests they hear, and some of them let a
/// client send on to a port whose gateway closed (a router that disappears, a closed port's ICMP): in parallel, another
/// class's gateway could be given that port and hear those requests as its own client's (a silent gateway once counted
/// 5 requests from a client that sent 3).</summary>
[CollectionDefinition(Name)]
public sealed class PortMappingCollection
{
    public const string Name = "Port mapping on 127.0.0.1";
}
