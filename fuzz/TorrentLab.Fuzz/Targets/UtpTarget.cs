using System.Buffers.Binary;
using System.Net;
using TorrentLab.Utp;

namespace TorrentLab.Fuzz.Targets;

/// <summary>uTP datagrams (BEP 29) at one connection: an accepted connection with data of its own to send gets each
/// datagram of the input in turn, decoded (or a <see cref="UtpException"/>), then its timers, on a clock that moves
/// 100 ms per datagram. Nothing may escape the connection.</summary>
/// <remarks>The input is a sequence of datagrams, each behind its length:
/// <code>&lt;length 2, big-endian&gt;&lt;datagram&gt; ...</code>
/// (a length past the end takes the rest). Datagrams are sent nowhere: the connection's sender only counts.</remarks>
internal static class UtpTarget
{
    public static FuzzTarget Target { get; } = new("utp", "uTP datagrams, each behind a 2-byte length, at one connection", Run, Seeds);

    private static readonly IPEndPoint Peer = IPEndPoint.Parse("127.0.0.2:6881");
    private static readonly byte[] Syn = UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Syn, 0x1000, 1, 0, 0, 100, 0));

    private static void Run(byte[] input)
    {
        var now = 1_000_000L;
        var sent = 0;
        var connection = UtpConnection.Accept(Peer, UtpPacket.Decode(Syn), 5000, new UtpOptions(), () => now, _ => sent++);
        _ = connection.WriteAsync(new byte[3000], CancellationToken.None);   // ours to send: acks in the input matter
        var rest = input.AsSpan();
        for (var i = 0; i < 256 && rest.Length >= 2; i++)   // bounded: at most 256 datagrams per input
        {
            var length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(rest), rest.Length - 2);
            var datagram = rest.Slice(2, length).ToArray();
            rest = rest[(2 + length)..];
            try
            {
                connection.OnPacket(UtpPacket.Decode(datagram));
            }
            catch (UtpException) { }
            now += 100_000;
            connection.Tick();
        }
    }

    /// <summary>Datagrams behind their lengths, as the target reads them.</summary>
    private static byte[] Sequence(params byte[][] datagrams) =>
        [.. datagrams.SelectMany(d => new byte[] { (byte)(d.Length >> 8), (byte)d.Length }.Concat(d))];

    private static IEnumerable<(string, byte[])> Seeds()
    {
        // The peer (id 0x1000, its seq from 101) talks to our connection (we send on 0x1000, our seq from 5000).
        var data = UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Data, 0x1001, 3, 40, 1 << 20, 101, 4999), payload: new byte[64]);
        var ack = UtpPacket.ToBytes(new UtpHeader(UtpPacketType.State, 0x1001, 4, 30, 1 << 20, 102, 5001));
        var selectiveAck = UtpPacket.ToBytes(new UtpHeader(UtpPacketType.State, 0x1001, 5, 30, 1 << 20, 102, 4999), [0x07, 0, 0, 0]);
        var fin = UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Fin, 0x1001, 6, 50, 1 << 20, 102, 5002));
        var reset = UtpPacket.ToBytes(new UtpHeader(UtpPacketType.Reset, 0x1001, 7, 0, 0, 7, 101));
        yield return ("data-ack-fin", Sequence(data, ack, fin));
        yield return ("selective-ack", Sequence(data, selectiveAck, ack));
        yield return ("resent-syn", Sequence(Syn, data));
        yield return ("reset", Sequence(data, reset));
        yield return ("close-reason", Sequence(Convert.FromHexString("01011001000000010000000200010000138800650304000000020004000000036f6b")));
    }
}
