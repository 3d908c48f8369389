using TorrentLab.Wire;

namespace TorrentLab.Extensions;

/// <summary>The extension protocol (BEP 10) on one connection: sends our handshake, learns the peer's, and routes
/// extension messages by the ids each side chose.</summary>
/// <remarks>
/// BEP 10: the ids in a handshake's <c>m</c> are the ids its SENDER receives on. So we send a message named
/// <c>ut_metadata</c> with the id from THEIR handshake, and a message arriving with id 3 is whatever WE named 3 in
/// ours. Extended id 0 is always the handshake. A later handshake updates the table: "the m dictionary is
/// additive", and an id of 0 disables that extension. Messages with ids we never assigned are ignored, as BEP 10
/// and BEP 9 ask ("an unrecognized message ID MUST be ignored"). Not thread-safe for receiving: call
/// <see cref="Route"/> from the connection's reader.
/// </remarks>
internal sealed class ExtensionChannel
{
    private readonly PeerConnection _connection;
    private readonly Dictionary<byte, string> _ourNames;
    private readonly Dictionary<string, byte> _theirIds = new(StringComparer.Ordinal);

    /// <summary>A channel over <paramref name="connection"/>, whose handshake is done.</summary>
    public ExtensionChannel(PeerConnection connection, ExtensionHandshake ours)
    {
        _connection = connection;
        Ours = ours;
        _ourNames = ours.Messages.Where(p => p.Value != 0).ToDictionary(p => p.Value, p => p.Key);
    }

    /// <summary>Our handshake (what the peer learns from us).</summary>
    public ExtensionHandshake Ours { get; }

    /// <summary>The peer's latest handshake, or null until it arrives.</summary>
    public ExtensionHandshake? Theirs { get; private set; }

    /// <summary>Both sides set BEP 10's reserved bit, so extended messages may flow.</summary>
    public bool Agreed => _connection.ExtensionsAgreed;

    /// <summary>Extension messages received with an id we did not assign (ignored).</summary>
    public int Ignored { get; private set; }

    /// <summary>Sends our handshake if both sides set the extension bit; false (nothing sent) otherwise.</summary>
    /// <remarks>BEP 10: the handshake "should be sent immediately after the standard bittorrent handshake to any peer
    /// that supports this extension protocol"; call it before the bitfield.</remarks>
    public async ValueTask<bool> SendHandshakeAsync(CancellationToken ct = default)
    {
        if (!Agreed) return false;
        await _connection.SendAsync(PeerMessage.Extended(ExtensionIds.Handshake, Ours.Encode()), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>The id the peer receives <paramref name="name"/> on, if it announced the extension (and did not disable it).</summary>
    public bool TryGetTheirId(string name, out byte id) => _theirIds.TryGetValue(name, out id);

    /// <summary>True when the peer announced <paramref name="name"/> in its handshake.</summary>
    public bool PeerSupports(string name) => _theirIds.ContainsKey(name);

    /// <summary>True when we offered <paramref name="name"/> and the peer announced it too.</summary>
    public bool BothSpeak(string name) => Ours.Messages.ContainsKey(name) && PeerSupports(name);

    /// <summary>Sends an extension message under the id the peer chose for <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The peer did not announce <paramref name="name"/> (caller misuse).</exception>
    public ValueTask SendAsync(string name, ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        if (!TryGetTheirId(name, out var id))
            throw new InvalidOperationException($"{_connection}: the peer did not announce {name} in its extension handshake");
        return _connection.SendAsync(PeerMessage.Extended(id, payload), ct);
    }

    /// <summary>Routes a received <see cref="MessageKind.Extended"/> message: a handshake updates <see cref="Theirs"/>
    /// and the id table; another message is named by our ids. Returns the extension's name
    /// (<see cref="ExtensionIds.Handshake"/> gives "handshake"), or null for an id we never assigned.</summary>
    /// <exception cref="ExtensionException">The peer's handshake is malformed.</exception>
    public string? Route(in PeerMessage message)
    {
        if (message.Kind != MessageKind.Extended) throw new ArgumentException($"expected an extended message, got {message.Name}", nameof(message));
        if (message.ExtendedId == ExtensionIds.Handshake)
        {
            ExtensionHandshake handshake;
            try { handshake = ExtensionHandshake.Decode(message.Payload); }
            catch (ExtensionException e) { throw new ExtensionException($"peer {_connection.RemoteEndPoint}: {e.Message}", e); }
            foreach (var (name, id) in handshake.Messages)
            {
                if (id == 0) _theirIds.Remove(name);   // BEP 10: 0 disables the extension
                else _theirIds[name] = id;
            }
            Theirs = Theirs is null ? handshake : handshake with
            {
                Messages = new Dictionary<string, byte>(_theirIds),
                Client = handshake.Client ?? Theirs.Client,
                ListenPort = handshake.ListenPort ?? Theirs.ListenPort,
                MetadataSize = handshake.MetadataSize ?? Theirs.MetadataSize,
                RequestQueue = handshake.RequestQueue ?? Theirs.RequestQueue,
                YourIp = handshake.YourIp ?? Theirs.YourIp,
            };
            return "handshake";
        }
        if (_ourNames.TryGetValue(message.ExtendedId, out var ours)) return ours;
        Ignored++;
        return null;
    }
}
