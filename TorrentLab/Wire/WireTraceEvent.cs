using System.Net;

namespace TorrentLab.Wire;

/// <summary>Which way a traced message went.</summary>
public enum WireDirection
{
    Sent,
    Received,
}

/// <summary>One handshake or message on one connection, as the wire trace shows it.</summary>
/// <param name="Time">When it was sent or decoded.</param>
/// <param name="Peer">The remote end of the connection.</param>
/// <param name="Direction">Sent by us or received from the peer.</param>
/// <param name="Kind">The message kind; null for the handshake.</param>
/// <param name="Name">The message name (<c>piece</c>, <c>not interested</c>, <c>handshake</c>...).</param>
/// <param name="Fields">Its fields as <c>key=value</c> pairs, or empty.</param>
/// <param name="WireLength">Bytes on the wire, prefix included.</param>
/// <param name="Head">A copy of the first bytes on the wire (up to <see cref="HeadLength"/>).</param>
public sealed record WireTraceEvent(DateTimeOffset Time, IPEndPoint Peer, WireDirection Direction, MessageKind? Kind,
    string Name, string Fields, int WireLength, byte[] Head)
{
    /// <summary>How many leading bytes an event keeps: the prefix, the id and a piece's index and begin.</summary>
    public static int HeadLength { get; } = 13;

    /// <summary><c>-&gt;</c> for sent, <c>&lt;-</c> for received.</summary>
    public string Arrow => Direction == WireDirection.Sent ? "->" : "<-";

    /// <summary>The head bytes in lowercase hex.</summary>
    public string HeadHex => Convert.ToHexStringLower(Head);

    internal static WireTraceEvent For(IPEndPoint peer, WireDirection direction, in PeerMessage message, ReadOnlySpan<byte> wire) =>
        new(DateTimeOffset.UtcNow, peer, direction, message.Kind, message.Name, message.Fields, wire.Length,
            wire[..Math.Min(wire.Length, HeadLength)].ToArray());

    internal static WireTraceEvent For(IPEndPoint peer, WireDirection direction, Handshake handshake, ReadOnlySpan<byte> wire,
        ConnectionEncryption encryption = ConnectionEncryption.None, string transport = "tcp") =>
        new(DateTimeOffset.UtcNow, peer, direction, null, "handshake",
            $"info_hash={handshake.InfoHash.Hex} peer_id={handshake.PeerId.Hex} extensions={(handshake.SupportsExtensions ? "yes" : "no")}" +
            $"{(handshake.SupportsFast ? " fast=yes" : "")} transport={transport} encryption={EncryptionName(encryption)}",
            wire.Length, wire[..Math.Min(wire.Length, HeadLength)].ToArray());

    /// <summary>A note about a connection that is not a message (an encrypted handshake refused, say).</summary>
    internal static WireTraceEvent Note(IPEndPoint peer, string name, string fields) =>
        new(DateTimeOffset.UtcNow, peer, WireDirection.Sent, null, name, fields, 0, []);

    /// <summary>How the trace names a connection's encryption: <c>none</c>, <c>mse-plaintext</c> or <c>rc4</c>.</summary>
    internal static string EncryptionName(ConnectionEncryption encryption) => encryption switch
    {
        ConnectionEncryption.Rc4 => "rc4",
        ConnectionEncryption.MsePlaintext => "mse-plaintext",
        _ => "none",
    };

    /// <summary>The trace line: <c>&lt;- piece index=3 begin=16384 len=16384</c>.</summary>
    public override string ToString() => Fields.Length == 0 ? $"{Arrow} {Name}" : $"{Arrow} {Name} {Fields}";
}
