using TorrentLab.Metainfo;

namespace TorrentLab.Wire;

/// <summary>MSE/PE, Message Stream Encryption (also called Protocol Encryption): the obfuscated handshake every major
/// client speaks before BEP 3's, in both roles. After it, the BEP 3 handshake and messages run unchanged over the
/// stream it returns (RC4 or plaintext).</summary>
/// <remarks>
/// The five steps, from the MSE/PE specification (A dials, B answers; SKEY is the torrent's info hash):
/// <code>
/// 1 A->B: Diffie Hellman Ya, PadA
/// 2 B->A: Diffie Hellman Yb, PadB
/// 3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S), ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
/// 4 B->A: ENCRYPT(VC, crypto_select, len(padD), padD), ENCRYPT2(Payload Stream)
/// 5 A->B: ENCRYPT2(Payload Stream)
/// </code>
/// <list type="bullet">
/// <item>Ya, Yb: 96-byte Diffie-Hellman public keys; S the shared secret (<see cref="MseKeyExchange"/>).</item>
/// <item>PadA, PadB: 0 to 512 random bytes; PadC, PadD: 0 to 512 bytes, zeroed (we send none).</item>
/// <item>VC: the verification constant, 8 zero bytes. crypto_provide/crypto_select: 32-bit fields, 0x01 plaintext,
/// 0x02 RC4. len(X): 2 bytes, big-endian. IA: A's initial payload (we send none and wait for step 4).</item>
/// <item>ENCRYPT(): RC4 keyed with HASH('keyA', S, SKEY) for what A sends and HASH('keyB', S, SKEY) for what B
/// sends, first 1024 bytes discarded (<see cref="Rc4"/>); the stream continues across calls. ENCRYPT2(): the
/// selected method; for RC4 it continues the same RC4 streams.</item>
/// </list>
/// Where each side must look for the other's next field: padding has no length field, so B finds the end of PadA by
/// searching for HASH('req1', S), and A finds the end of PadB by searching for ENCRYPT(VC), each within 512 bytes.
/// </remarks>
internal static partial class MseHandshake
{
    /// <summary>MSE/PE: PadA and PadB are "random data with a random length of 0 to 512 bytes"; PadC and PadD are at most
    /// 512 bytes too.</summary>
    public const int MaxPadding = 512;

    /// <summary>crypto_provide/crypto_select bit: plaintext after the handshake.</summary>
    public const uint Plaintext = 0x01;

    /// <summary>crypto_provide/crypto_select bit: RC4 after the handshake.</summary>
    public const uint Rc4Method = 0x02;

    /// <summary>VC, the verification constant: "a String of 8 bytes set to 0x00".</summary>
    public const int VcLength = 8;

    /// <summary>What the handshake produced: the stream to speak BEP 3 over, the first bytes of that stream already read
    /// (plaintext), the method, and the torrent the peer asked for (for the receiver).</summary>
    public sealed record Result(Stream Transport, byte[] Initial, ConnectionEncryption Method, InfoHash InfoHash);

    /// <summary>The methods we offer (as A) or accept (as B) under <paramref name="policy"/>.</summary>
    public static uint Allowed(EncryptionPolicy policy) => policy switch
    {
        EncryptionPolicy.Require => Rc4Method,
        EncryptionPolicy.Prefer => Rc4Method | Plaintext,
        _ => 0,
    };

    /// <summary>Our public key followed by 0-512 random bytes (steps 1 and 2).</summary>
    private static byte[] KeyWithPadding(MseKeyExchange dh, int? padding)
    {
        var length = padding ?? Randomness.SecretInt32(MaxPadding + 1);
        var bytes = new byte[MseKeyExchange.KeyLength + length];
        dh.PublicKey.CopyTo(bytes, 0);
        Randomness.FillSecret(bytes.AsSpan(MseKeyExchange.KeyLength));
        return bytes;
    }

    /// <summary>RC4 for one direction: keyed with HASH(label, S, SKEY), 1024 bytes discarded.</summary>
    private static Rc4 Cipher(string label, byte[] secret, InfoHash skey) =>
        new(MseKeyExchange.Hash(label, secret, skey.Bytes));

    private static ConnectionEncryption MethodOf(uint select) => select == Rc4Method ? ConnectionEncryption.Rc4 : ConnectionEncryption.MsePlaintext;

    /// <summary>The bytes after the handshake: decrypted when RC4 continues, as they are when plaintext was selected.</summary>
    private static byte[] Leftover(MseBuffer buffer, Rc4 decrypt, uint select)
    {
        var rest = buffer.Rest();
        if (select == Rc4Method) decrypt.Apply(rest);
        return rest.ToArray();
    }

    private static async ValueTask SendAsync(Stream stream, byte[] bytes, string who, CancellationToken ct)
    {
        try
        {
            await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException && !ct.IsCancellationRequested)
        {
            throw new WireException($"{who}: connection lost during the encryption handshake ({e.InnerException?.Message ?? e.Message})", e, isViolation: false);
        }
    }
}
