using System.Buffers.Binary;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace TorrentLab.Tests.Wire;

/// <summary>A second MSE/PE implementation, written separately from <c>TorrentLab.Wire.MseHandshake</c> in a plain
/// blocking style (exact reads, a byte-at-a-time search for the markers, its own RC4), so the library's two roles are
/// checked against code that shares none of theirs. It can also misbehave on purpose (huge padding, a method nobody
/// offered, a stall after part of its key).</summary>
internal static class MseReferencePeer
{
    private static readonly BigInteger P = BigInteger.Parse(
        "00FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563",
        System.Globalization.NumberStyles.HexNumber);

    /// <summary>The two RC4 streams after a handshake, and what was selected.</summary>
    public sealed record Outcome(uint Selected, Cipher Send, Cipher Receive, byte[] InitialPayload);

    /// <summary>As A: sends Ya and <paramref name="padA"/> bytes of padding, then step 3 with <paramref name="provide"/>,
    /// PadC and IA; reads step 4.</summary>
    public static Outcome Initiate(NetworkStream s, byte[] infoHash, uint provide, int padA = 0, byte[]? ia = null, int padC = 0)
    {
        var x = RandomPrivate();
        s.Write([.. Key(x), .. new byte[padA]]);
        var secret = Secret(ReadExact(s, 96), x);
        var send = new Cipher(Sha1("keyA", secret, infoHash));
        var receive = new Cipher(Sha1("keyB", secret, infoHash));
        ia ??= [];
        var plain = new byte[8 + 4 + 2 + padC + 2];
        BinaryPrimitives.WriteUInt32BigEndian(plain.AsSpan(8), provide);
        BinaryPrimitives.WriteUInt16BigEndian(plain.AsSpan(12), (ushort)padC);
        BinaryPrimitives.WriteUInt16BigEndian(plain.AsSpan(14 + padC), (ushort)ia.Length);
        var req2 = Sha1("req2", infoHash);
        var req3 = Sha1("req3", secret);
        for (var i = 0; i < 20; i++) req2[i] ^= req3[i];
        s.Write([.. Sha1("req1", secret), .. req2, .. send.Crypt(plain), .. send.Crypt(ia)]);
        var vc = receive.Crypt(new byte[8]);
        SkipUntil(s, vc, 512);
        var fields = receive.Crypt(ReadExact(s, 6));
        var padD = BinaryPrimitives.ReadUInt16BigEndian(fields.AsSpan(4));
        receive.Crypt(ReadExact(s, padD));
        return new Outcome(BinaryPrimitives.ReadUInt32BigEndian(fields), send, receive, []);
    }

    /// <summary>As B: reads Ya, sends Yb and <paramref name="padB"/> bytes of padding, reads step 3 and answers with the
    /// method <paramref name="choose"/> picks from crypto_provide (any value, even one not offered).</summary>
    public static Outcome Respond(NetworkStream s, byte[] infoHash, Func<uint, uint> choose, int padB = 0)
    {
        var x = RandomPrivate();
        var secret = Secret(ReadExact(s, 96), x);
        s.Write([.. Key(x), .. new byte[padB]]);
        SkipUntil(s, Sha1("req1", secret), 512);
        var obfuscated = ReadExact(s, 20);
        var req2 = Sha1("req2", infoHash);
        var req3 = Sha1("req3", secret);
        for (var i = 0; i < 20; i++)
            if ((byte)(req2[i] ^ req3[i]) != obfuscated[i]) throw new InvalidDataException("SKEY does not match");
        var receive = new Cipher(Sha1("keyA", secret, infoHash));
        var send = new Cipher(Sha1("keyB", secret, infoHash));
        var head = receive.Crypt(ReadExact(s, 14));
        if (head.AsSpan(0, 8).ContainsAnyExcept((byte)0)) throw new InvalidDataException("VC is not zero");
        var provide = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(8));
        var padC = BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(12));
        var tail = receive.Crypt(ReadExact(s, padC + 2));
        var ia = receive.Crypt(ReadExact(s, BinaryPrimitives.ReadUInt16BigEndian(tail.AsSpan(padC))));
        var selected = choose(provide);
        var answer = new byte[14];
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(8), selected);
        s.Write(send.Crypt(answer));
        return new Outcome(selected, send, receive, ia);
    }

    /// <summary>Sends only the first <paramref name="count"/> bytes of a public key, then nothing.</summary>
    public static void SendPartialKey(NetworkStream s, int count) => s.Write(Key(RandomPrivate()).AsSpan(0, count));

    /// <summary>Sends a public key followed by <paramref name="padding"/> random bytes (more than MSE/PE allows when
    /// above 512), without waiting for anything.</summary>
    public static void SendKeyWithPadding(NetworkStream s, int padding) => s.Write([.. Key(RandomPrivate()), .. RandomNumberGenerator.GetBytes(padding)]);

    public static byte[] ReadExact(NetworkStream s, int count)
    {
        var bytes = new byte[count];
        s.ReadExactly(bytes);
        return bytes;
    }

    private static BigInteger RandomPrivate() => new(RandomNumberGenerator.GetBytes(20), isUnsigned: true);

    private static byte[] Key(BigInteger x) => Pad96(BigInteger.ModPow(2, x, P));

    private static byte[] Secret(byte[] y, BigInteger x) => Pad96(BigInteger.ModPow(new BigInteger(y, isUnsigned: true, isBigEndian: true), x, P));

    private static byte[] Pad96(BigInteger v)
    {
        var raw = v.ToByteArray(isUnsigned: true, isBigEndian: true);
        return [.. new byte[96 - raw.Length], .. raw];
    }

    private static byte[] Sha1(string label, byte[] a, byte[]? b = null) => SHA1.HashData([.. Encoding.ASCII.GetBytes(label), .. a, .. b ?? []]);

    /// <summary>Reads one byte at a time until the last bytes read equal <paramref name="marker"/>.</summary>
    private static void SkipUntil(NetworkStream s, byte[] marker, int maxSkip)
    {
        var window = new List<byte>();
        for (var read = 0; read < maxSkip + marker.Length; read++)
        {
            var b = s.ReadByte();
            if (b < 0) throw new EndOfStreamException();
            window.Add((byte)b);
            if (window.Count >= marker.Length && window.Skip(window.Count - marker.Length).SequenceEqual(marker)) return;
        }
        throw new InvalidDataException("marker not found");
    }

    /// <summary>RC4-drop1024, written out again.</summary>
    public sealed class Cipher
    {
        private readonly byte[] _state = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        private byte _x, _y;

        public Cipher(byte[] key)
        {
            byte j = 0;
            for (var i = 0; i < 256; i++)
            {
                j = (byte)(j + _state[i] + key[i % key.Length]);
                (_state[i], _state[j]) = (_state[j], _state[i]);
            }
            Crypt(new byte[1024]);
        }

        public byte[] Crypt(byte[] data)
        {
            var output = new byte[data.Length];
            for (var k = 0; k < data.Length; k++)
            {
                _x++;
                _y += _state[_x];
                (_state[_x], _state[_y]) = (_state[_y], _state[_x]);
                output[k] = (byte)(data[k] ^ _state[(byte)(_state[_x] + _state[_y])]);
            }
            return output;
        }
    }
}
