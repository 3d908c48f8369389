namespace TorrentLab.Extensions;

/// <summary>BEP 21 <c>upload_only</c>: not a message but a key of the extension handshake, by which a seed or partial
/// seed says it wants nothing more. We say it in a second handshake (BEP 10 allows one at any time) once we want
/// nothing (Swarm/SwarmPeer.Extensions.cs, AnnounceUploadOnly).</summary>
/// <remarks>
/// <code>
/// d ... 11:upload_only i1e ... e        in the handshake dictionary, beside m (ExtensionHandshake.cs)
/// </code>
/// </remarks>
internal sealed class UploadOnlyExtension : IExtension
{
    /// <inheritdoc/>
    public string Name => "upload_only";

    /// <summary>0: not a message, so not in <c>m</c>.</summary>
    public byte Id => 0;

    /// <inheritdoc/>
    public bool OnPrivateTorrents => true;

    /// <summary>What it adds to our handshake: <c>upload_only=1</c>.</summary>
    public static ExtensionHandshake Announce(ExtensionHandshake ours) => ours with { UploadOnly = true };

    /// <summary>What takes it back when we come to want more (a file we skipped is now wanted): <c>upload_only=0</c>.</summary>
    public static ExtensionHandshake Withdraw(ExtensionHandshake ours) => ours with { UploadOnly = false };

    /// <summary>A handshake with the key tells us the peer's state; one without it leaves the state as it was.</summary>
    public void OnHandshake(IExtensionPeer peer, ExtensionHandshake theirs)
    {
        if (theirs.UploadOnly is { } only) peer.OnUploadOnly(only);
    }
}
