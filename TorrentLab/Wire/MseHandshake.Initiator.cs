using System.Buffers.Binary;
using TorrentLab.Metainfo;

namespace TorrentLab.Wire;

internal static partial class MseHandshake
{
    /// <summary>Runs the handshake as A, the side that dialled: offers the methods <paramref name="policy"/> allows for
    /// the torrent <paramref name="skey"/>, and returns once B has selected one.</summary>
    /// <param name="stream">The connected byte stream (the TCP connection, or any other transport).</param>
    /// <param name="skey">The info hash of the torrent we want.</param>
    /// <param name="policy">Prefer offers RC4 and plaintext, Require only RC4.</param>
    /// <param name="who">Names the peer in errors (<c>peer 127.0.0.1:6881</c>).</param>
    /// <param name="padding">PadA's length; random (0-512) when null. For tests.</param>
    /// <param name="ct">Cancels (the caller's timeout).</param>
    /// <exception cref="WireException">The peer closed the connection, or broke the handshake (violation).</exception>
    public static async Task<Result> InitiateAsync(Stream stream, InfoHash skey, EncryptionPolicy policy, string who,
        int? padding = null, CancellationToken ct = default)
    {
        var provide = Allowed(policy);
        if (provide == 0) throw new InvalidOperationException("encryption is off: no MSE/PE handshake to initiate");
        var buffer = new MseBuffer(stream, who);
        var dh = new MseKeyExchange();

        // 1 A->B: Diffie Hellman Ya, PadA
        await SendAsync(stream, KeyWithPadding(dh, padding), who, ct).ConfigureAwait(false);

        // 2 B->A: Diffie Hellman Yb, PadB (PadB is left in the buffer: it ends where ENCRYPT(VC) starts)
        // A plaintext-only peer may take our key for a handshake and answer with its own 68 bytes, fewer than Yb's 96:
        // look at the first 20 so that the fallback to plaintext is immediate instead of waiting for the timeout.
        await buffer.EnsureAsync(Handshake.PrefixLength, ct).ConfigureAwait(false);
        if (Handshake.StartsPlaintext(buffer.Peek(Handshake.PrefixLength)))
            throw new WireException($"{who}: answered the encryption handshake with a plaintext BitTorrent handshake", isViolation: false);
        await buffer.EnsureAsync(MseKeyExchange.KeyLength, ct).ConfigureAwait(false);
        var yb = buffer.Take(MseKeyExchange.KeyLength);
        byte[] secret;
        try { secret = dh.SharedSecret(yb); }
        catch (WireException e) { throw new WireException($"{who}: {e.Message}", e); }
        var encrypt = Cipher("keyA", secret, skey);
        var decrypt = Cipher("keyB", secret, skey);

        // 3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S), ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
        // PadC and IA are empty: our BEP 3 handshake follows step 4, inside ENCRYPT2.
        var step3 = new byte[20 + 20 + VcLength + 4 + 2 + 2];
        MseKeyExchange.Hash("req1", secret).CopyTo(step3, 0);
        MseKeyExchange.ObfuscatedSkey(skey.Bytes, secret).CopyTo(step3, 20);
        var encrypted = step3.AsSpan(40);
        BinaryPrimitives.WriteUInt32BigEndian(encrypted[VcLength..], provide); // VC stays 8 zero bytes
        encrypt.Apply(encrypted);
        await SendAsync(stream, step3, who, ct).ConfigureAwait(false);

        // 4 B->A: ENCRYPT(VC, crypto_select, len(padD), padD), ENCRYPT2(Payload Stream)
        // MSE/PE: since A does not know PadB's length, "A will be able to resynchronize on ENCRYPT(VC)". Encrypting 8
        // zero bytes with B's key gives the marker, and leaves the decryptor just past VC, where the marker ends.
        var vc = new byte[VcLength];
        decrypt.Apply(vc);
        await buffer.SynchronizeAsync(vc, MaxPadding, "ENCRYPT(VC) from the peer", ct).ConfigureAwait(false);
        buffer.Take(VcLength);
        await buffer.EnsureAsync(4 + 2, ct).ConfigureAwait(false);
        var fields = buffer.Take(4 + 2);
        decrypt.Apply(fields);
        var select = BinaryPrimitives.ReadUInt32BigEndian(fields);
        var padD = BinaryPrimitives.ReadUInt16BigEndian(fields[4..]);
        // MSE/PE: B "should set a bit corresponding to the single method which he selected from the provided ones".
        if (select is not (Plaintext or Rc4Method) || (select & provide) == 0)
            throw new WireException($"{who}: encryption handshake selected crypto method 0x{select:x8}, but we offered 0x{provide:x8}");
        if (padD > MaxPadding) throw new WireException($"{who}: encryption handshake: len(PadD) is {padD}, the limit is {MaxPadding}");
        await buffer.EnsureAsync(padD, ct).ConfigureAwait(false);
        decrypt.Apply(buffer.Take(padD));

        // 5 A->B: ENCRYPT2(Payload Stream): RC4 continues the same two keystreams; plaintext drops them.
        var leftover = Leftover(buffer, decrypt, select);
        var transport = select == Rc4Method ? new Rc4Stream(stream, encrypt, decrypt) : stream;
        return new Result(transport, leftover, MethodOf(select), skey);
    }
}
