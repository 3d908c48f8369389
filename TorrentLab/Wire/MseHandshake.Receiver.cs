using System.Buffers.Binary;
using TorrentLab.Metainfo;

namespace TorrentLab.Wire;

internal static partial class MseHandshake
{
    /// <summary>Runs the handshake as B, the side that accepted: finds which of <paramref name="torrents"/> the peer
    /// wants, selects one of the methods it offers that <paramref name="policy"/> allows (RC4 first), and returns.</summary>
    /// <param name="stream">The accepted byte stream.</param>
    /// <param name="first">Bytes already read from it (the start of Ya, read to tell MSE from a plaintext handshake).</param>
    /// <param name="torrents">The info hashes we serve: SKEY must be one of them.</param>
    /// <param name="policy">Prefer accepts RC4 and plaintext, Require only RC4.</param>
    /// <param name="who">Names the peer in errors.</param>
    /// <param name="padding">PadB's length; random (0-512) when null. For tests.</param>
    /// <param name="ct">Cancels (the caller's timeout).</param>
    /// <param name="keys">Our Diffie-Hellman keys; fresh random ones when null. For tests.</param>
    /// <exception cref="WireException">The peer closed the connection, broke the handshake, asked for a torrent we do not
    /// serve, or offered no method we accept.</exception>
    public static async Task<Result> ReceiveAsync(Stream stream, ReadOnlyMemory<byte> first, IReadOnlyCollection<InfoHash> torrents,
        EncryptionPolicy policy, string who, int? padding = null, CancellationToken ct = default, MseKeyExchange? keys = null)
    {
        var accepted = Allowed(policy);
        if (accepted == 0) throw new WireException($"{who}: started an encrypted (MSE/PE) handshake, but encryption is off", isViolation: false);
        var buffer = new MseBuffer(stream, who);
        buffer.Prepend(first.Span);

        // 1 A->B: Diffie Hellman Ya, PadA
        await buffer.EnsureAsync(MseKeyExchange.KeyLength, ct).ConfigureAwait(false);
        var dh = keys ?? new MseKeyExchange();
        byte[] secret;
        try { secret = dh.SharedSecret(buffer.Take(MseKeyExchange.KeyLength)); }
        catch (WireException e) { throw new WireException($"{who}: {e.Message}", e); }

        // 2 B->A: Diffie Hellman Yb, PadB
        await SendAsync(stream, KeyWithPadding(dh, padding), who, ct).ConfigureAwait(false);

        // 3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S), ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
        // PadA has no length field, so B synchronizes on HASH('req1', S), which follows at most 512 bytes of it.
        await buffer.SynchronizeAsync(MseKeyExchange.Hash("req1", secret), MaxPadding, "HASH('req1', S) from the peer", ct).ConfigureAwait(false);
        buffer.Take(20);
        await buffer.EnsureAsync(20, ct).ConfigureAwait(false);
        var skey = FindTorrent(buffer.Take(20), secret, torrents)
            ?? throw new WireException($"{who}: encryption handshake asks for a torrent we do not serve (no SKEY matches)");
        var decrypt = Cipher("keyA", secret, skey);
        var encrypt = Cipher("keyB", secret, skey);
        await buffer.EnsureAsync(VcLength + 4 + 2, ct).ConfigureAwait(false);
        var fields = buffer.Take(VcLength + 4 + 2);
        decrypt.Apply(fields);
        // VC "is used to verify whether the other side knows S and SKEY": it must decrypt to 8 zero bytes.
        if (fields[..VcLength].ContainsAnyExcept((byte)0))
            throw new WireException($"{who}: encryption handshake: VC did not decrypt to zeros (the peer does not know S and SKEY)");
        var provide = BinaryPrimitives.ReadUInt32BigEndian(fields[VcLength..]);
        var padC = BinaryPrimitives.ReadUInt16BigEndian(fields[(VcLength + 4)..]);
        if (padC > MaxPadding) throw new WireException($"{who}: encryption handshake: len(PadC) is {padC}, the limit is {MaxPadding}");
        await buffer.EnsureAsync(padC + 2, ct).ConfigureAwait(false);
        var padAndLength = buffer.Take(padC + 2);
        decrypt.Apply(padAndLength);
        var iaLength = BinaryPrimitives.ReadUInt16BigEndian(padAndLength[padC..]);
        await buffer.EnsureAsync(iaLength, ct).ConfigureAwait(false);
        var ia = buffer.Take(iaLength);
        decrypt.Apply(ia);
        var initial = ia.ToArray();

        // 4 B->A: ENCRYPT(VC, crypto_select, len(padD), padD), ENCRYPT2(Payload Stream)
        // "The responding peer B should set a bit corresponding to the single method which he selected from the
        // provided ones." RC4 when both are offered and allowed: encryption is why the peer started MSE.
        var select = (provide & accepted & Rc4Method) != 0 ? Rc4Method
            : (provide & accepted & Plaintext) != 0 ? Plaintext
            : throw new WireException($"{who}: encryption handshake offers crypto methods 0x{provide:x8}, we accept only 0x{accepted:x8}", isViolation: false);
        var step4 = new byte[VcLength + 4 + 2];
        BinaryPrimitives.WriteUInt32BigEndian(step4.AsSpan(VcLength), select); // VC zeros, len(padD) = 0
        encrypt.Apply(step4);
        await SendAsync(stream, step4, who, ct).ConfigureAwait(false);

        var leftover = Leftover(buffer, decrypt, select);
        var transport = select == Rc4Method ? new Rc4Stream(stream, encrypt, decrypt) : stream;
        return new Result(transport, [.. initial, .. leftover], MethodOf(select), skey);
    }

    /// <summary>The torrent whose HASH('req2', SKEY) xor HASH('req3', S) equals <paramref name="obfuscated"/>, if any.</summary>
    private static InfoHash? FindTorrent(ReadOnlySpan<byte> obfuscated, byte[] secret, IReadOnlyCollection<InfoHash> torrents)
    {
        foreach (var torrent in torrents)
            if (MseKeyExchange.ObfuscatedSkey(torrent.Bytes, secret).AsSpan().SequenceEqual(obfuscated)) return torrent;
        return null;
    }
}
