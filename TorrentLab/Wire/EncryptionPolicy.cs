namespace TorrentLab.Wire;

/// <summary>Whether connections use MSE/PE (protocol encryption): <c>--encryption prefer|require|off</c>.</summary>
public enum EncryptionPolicy
{
    /// <summary>Dial with an encrypted handshake offering RC4 and plaintext, and redial in plaintext if the peer refuses
    /// it; accept both kinds of incoming handshake, choosing RC4 when offered. The default.</summary>
    Prefer,

    /// <summary>RC4 only, both ways: plaintext handshakes and peers offering only plaintext are refused.</summary>
    Require,

    /// <summary>Plain BEP 3 only: never dial encrypted, refuse encrypted incoming handshakes.</summary>
    Off,
}

/// <summary>How one connection's bytes travel, as <c>--trace</c> shows it in the handshake line.</summary>
internal enum ConnectionEncryption
{
    /// <summary>A plain BEP 3 handshake: no MSE/PE at all.</summary>
    None,

    /// <summary>An MSE/PE handshake that selected plaintext: only the handshake itself was obfuscated.</summary>
    MsePlaintext,

    /// <summary>An MSE/PE handshake that selected RC4: every byte after the key exchange is encrypted.</summary>
    Rc4,
}
