using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace TorrentLab.Network;

/// <summary>Datagrams of one size to one address, gathered and handed to the kernel in one <c>sendmsg</c> with UDP
/// generic segmentation offload (Linux 4.18+, <c>UDP_SEGMENT</c>): the kernel cuts the buffer back into the same
/// datagrams, so the wire sees exactly what one send per datagram would have sent, for one system call.</summary>
/// <remarks>
/// .NET has no batched UDP send (no <c>sendmmsg</c>, no control messages on send), so this calls <c>sendmsg</c> itself,
/// with buffers pinned once. The layout, as the kernel reads it on 64-bit Linux:
/// <code>
/// msghdr  &lt;name 8&gt;&lt;namelen 4&gt;&lt;pad 4&gt;&lt;iov 8&gt;&lt;iovlen 8&gt;&lt;control 8&gt;&lt;controllen 8&gt;&lt;flags 4&gt;&lt;pad 4&gt;
/// iovec   &lt;base 8&gt;&lt;len 8&gt;
/// cmsghdr &lt;len 8 = 18&gt;&lt;level 4 = SOL_UDP 17&gt;&lt;type 4 = UDP_SEGMENT 103&gt;&lt;gso_size 2&gt;&lt;pad 6&gt;
/// </code>
/// Only the last datagram of a batch may be shorter than the others (the kernel's rule); a datagram that does not
/// fit the batch is refused and the caller flushes first. Elsewhere than 64-bit Linux, <see cref="TryCreate"/>
/// returns null and the socket sends one datagram per call.
/// </remarks>
internal sealed class UdpSegmentBatch
{
    private const int SolUdp = 17;       // <netinet/udp.h>: IPPROTO_UDP, the level of UDP socket options
    private const int UdpSegment = 103;  // <linux/udp.h>: UDP_SEGMENT
    private const int MaxSegments = 64;  // the kernel's UDP_MAX_SEGMENTS (64 before 6.x, 128 after): the lower bound
    private const int Capacity = 65_507 - 8; // one IPv4 UDP payload at most (65,535 - IP header 20 - UDP header 8), less margin

    private const int MsgOffset = 0, IovOffset = 56, CmsgOffset = 72, NameOffset = 96, HeaderBytes = 96 + 128;

    private readonly Socket _socket;
    private readonly byte[] _buffer = GC.AllocateArray<byte>(Capacity, pinned: true);
    private readonly byte[] _header = GC.AllocateArray<byte>(HeaderBytes, pinned: true);
    private SocketAddress? _to;
    private int _length;
    private int _segment;
    private int _count;
    private bool _segmentingFailed;
    private bool _closed; // the last datagram was shorter than the segment size: nothing may follow it

    private UdpSegmentBatch(Socket socket)
    {
        _socket = socket;
        var header = _header.AsSpan();
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(_header, 0);
        BinaryPrimitives.WriteInt64LittleEndian(header[(MsgOffset + 0)..], address + NameOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header[(MsgOffset + 16)..], address + IovOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header[(MsgOffset + 24)..], 1);
        BinaryPrimitives.WriteInt64LittleEndian(header[(MsgOffset + 32)..], address + CmsgOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header[(MsgOffset + 40)..], 24);      // CMSG_SPACE(2)
        BinaryPrimitives.WriteInt64LittleEndian(header[(IovOffset + 0)..], Marshal.UnsafeAddrOfPinnedArrayElement(_buffer, 0));
        BinaryPrimitives.WriteInt64LittleEndian(header[(CmsgOffset + 0)..], 18);      // CMSG_LEN(2)
        BinaryPrimitives.WriteInt32LittleEndian(header[(CmsgOffset + 8)..], SolUdp);
        BinaryPrimitives.WriteInt32LittleEndian(header[(CmsgOffset + 12)..], UdpSegment);
    }

    /// <summary>Datagrams that went out through the batch (for traces).</summary>
    public long Datagrams { get; private set; }

    /// <summary>The system calls the batches took.</summary>
    public long Sends { get; private set; }

    /// <summary>A batch for <paramref name="socket"/>, or null where the kernel has no UDP_SEGMENT (then send one by one).</summary>
    public static UdpSegmentBatch? TryCreate(Socket socket)
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8) return null;
        try
        {
            // Probe: setting the socket-wide segment size succeeds only where the kernel knows the option; reset it to
            // 0 (off) at once, since the size goes with each send below, not with the socket.
            Span<byte> value = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(value, 1400);
            socket.SetRawSocketOption(SolUdp, UdpSegment, value);
            BinaryPrimitives.WriteInt32LittleEndian(value, 0);
            socket.SetRawSocketOption(SolUdp, UdpSegment, value);
            return new UdpSegmentBatch(socket);
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>Adds a datagram; false when it cannot join this batch (another address or size, or full): flush, then add.</summary>
    public bool TryAdd(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if (_count == 0)
        {
            if (datagram.Length > Capacity || datagram.Length == 0) return false;
            _to = to;
            _segment = datagram.Length;
        }
        else if (_closed || _count == MaxSegments || datagram.Length > _segment || _length + datagram.Length > Capacity
                 || !(ReferenceEquals(to, _to) || to.Equals(_to)))
        {
            return false;
        }
        datagram.CopyTo(_buffer.AsSpan(_length));
        _length += datagram.Length;
        _count++;
        _closed = datagram.Length < _segment;
        return true;
    }

    /// <summary>Sends what was gathered: one datagram as it is, more in one segmented send. Errors count as loss, as
    /// for any UDP send (uTP resends).</summary>
    public void Flush()
    {
        if (_count == 0) return;
        try
        {
            if (_count > 1 && !_segmentingFailed)
            {
                try
                {
                    SendSegmented();
                    Sends++;
                    Datagrams += _count;
                    return;
                }
                catch (SocketException)
                {
                    // A device or kernel that takes the option but not the send (no checksum offload, say): from now
                    // on one datagram per call, as without the batch.
                    _segmentingFailed = true;
                }
            }
            for (var offset = 0; offset < _length; offset += _segment)
            {
                _socket.SendTo(_buffer.AsSpan(offset, Math.Min(_segment, _length - offset)), SocketFlags.None, _to!);
                Sends++;
                Datagrams++;
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        finally
        {
            _count = 0;
            _length = 0;
            _closed = false;
            _to = null;
        }
    }

    private void SendSegmented()
    {
        var header = _header.AsSpan();
        var name = _to!.Buffer.Span[.._to.Size];
        name.CopyTo(header[NameOffset..]);
        BinaryPrimitives.WriteInt32LittleEndian(header[(MsgOffset + 8)..], name.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[(IovOffset + 8)..], _length);
        BinaryPrimitives.WriteUInt16LittleEndian(header[(CmsgOffset + 16)..], (ushort)_segment);
        var sent = SendMsg((int)_socket.Handle, Marshal.UnsafeAddrOfPinnedArrayElement(_header, MsgOffset), 0);
        if (sent < 0) throw new SocketException(Marshal.GetLastPInvokeError());
    }

    [DllImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static extern nint SendMsg(int fd, IntPtr message, int flags);
}
