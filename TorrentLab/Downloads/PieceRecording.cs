using System.Text.Json;
using System.Text.Json.Serialization;
using TorrentLab.Wire;

namespace TorrentLab.Downloads;

/// <summary>One change of one piece in a recorded download.</summary>
/// <remarks>Made by the library, read by a program: what it learns later is a new property (the library's rule for
/// public types, docs/library.md).</remarks>
public readonly record struct PieceEvent
{
    internal PieceEvent(TimeSpan at, int piece, PieceState state, int sender, bool fromSeveral)
    {
        At = at;
        Piece = piece;
        State = state;
        Sender = sender;
        FromSeveral = fromSeveral;
    }

    /// <summary>When, since the recording began.</summary>
    public TimeSpan At { get; }

    /// <summary>The piece.</summary>
    public int Piece { get; }

    /// <summary>Its state from then on.</summary>
    public PieceState State { get; }

    /// <summary>For a verified piece, the row of <see cref="PieceRecording.Senders"/> that sent it (most of it,
    /// when several did), or -1: not verified, or its sender not known.</summary>
    public int Sender { get; }

    /// <summary>Its blocks came from more than one peer.</summary>
    public bool FromSeveral { get; }
}

/// <summary>A recorded download: each piece's changes of state with their time and who sent it, saved as JSON
/// (<see cref="PieceRecorder"/> makes one), so the piece map can be watched filling again, step by step.</summary>
/// <remarks><code>
/// {
///   "format": "torrentlab-pieces", "version": 1,
///   "name": "ubuntu.iso", "infoHash": "40 hex digits", "pieceCount": 40, "pieceLength": 262144,
///   "senders": [ { "address": "127.0.0.1:6881", "client": "Transmission 4.0.5" } ],
///   "events": [ { "ms": 1250, "piece": 7, "state": "verified", "sender": 0 },    sender: a row of senders
///               { "ms": 1300, "piece": 8, "state": "requested" }, ... ]          oldest first
/// }                                                                              "several": true when blocks came from more than one peer
/// </code></remarks>
public sealed class PieceRecording
{
    /// <summary>What the <c>format</c> field says.</summary>
    public const string Format = "torrentlab-pieces";

    private readonly PieceSender[] _senders;
    private readonly PieceEvent[] _events;

    internal PieceRecording(string name, string infoHash, int pieceCount, long pieceLength, PieceSender[] senders, PieceEvent[] events)
    {
        (Name, InfoHash, PieceCount, PieceLength) = (name, infoHash, pieceCount, pieceLength);
        (_senders, _events) = (senders, events);
    }

    /// <summary>The torrent's name.</summary>
    public string Name { get; }

    /// <summary>The torrent's info hash, hex.</summary>
    public string InfoHash { get; }

    /// <summary>Pieces in the torrent.</summary>
    public int PieceCount { get; }

    /// <summary>Bytes per piece (the last may be shorter).</summary>
    public long PieceLength { get; }

    /// <summary>The peers that sent verified pieces, each once.</summary>
    public IReadOnlyList<PieceSender> Senders => _senders;

    /// <summary>Every change, oldest first.</summary>
    public IReadOnlyList<PieceEvent> Events => _events;

    /// <summary>How long the recording runs: its last event's time.</summary>
    public TimeSpan Duration => _events.Length == 0 ? TimeSpan.Zero : _events[^1].At;

    /// <summary>The piece map as it stood at <paramref name="at"/>: every event up to then applied, with the senders.</summary>
    public PieceStates MapAt(TimeSpan at)
    {
        var states = new PieceState[PieceCount];
        var entries = new ushort[PieceCount];
        foreach (var e in _events)
        {
            if (e.At > at) break;
            states[e.Piece] = e.State;
            entries[e.Piece] = e.State == PieceState.Verified && e.Sender is >= 0 and < PieceSenders.MaxPeers ? PieceSenders.Entry(e.Sender, e.FromSeveral) : (ushort)0;
        }
        var verified = new Bitfield(PieceCount);
        for (var i = 0; i < states.Length; i++) if (states[i] == PieceState.Verified) verified.Set(i);
        var map = PieceStates.From(verified, Indexes(states, PieceState.Requested), Indexes(states, PieceState.Failed));
        return _senders.Length == 0 ? map : map.WithSenders(new PieceSenders(entries, _senders));
    }

    private static IEnumerable<int> Indexes(PieceState[] states, PieceState state)
    {
        for (var i = 0; i < states.Length; i++) if (states[i] == state) yield return i;
    }

    /// <summary>The recording as JSON (the layout above).</summary>
    public string ToJson() => JsonSerializer.Serialize(new RecordingDocument(Format, 1, Name, InfoHash, PieceCount, PieceLength,
        [.. _senders.Select(s => new RecordingSender(s.Address, s.Client))],
        [.. _events.Select(e => new RecordingEvent((long)e.At.TotalMilliseconds, e.Piece, Names[(int)e.State],
            e.Sender >= 0 ? e.Sender : null, e.FromSeveral ? true : null))]), RecordingJsonContext.Default.RecordingDocument);

    /// <summary>Reads a recording <see cref="ToJson"/> wrote.</summary>
    /// <exception cref="InvalidDataException">Not JSON, not a recording of this format and version, or an event that
    /// names a piece, state or sender the recording does not have (the message says which event).</exception>
    public static PieceRecording FromJson(string json)
    {
        RecordingDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(json, RecordingJsonContext.Default.RecordingDocument);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a piece recording: {e.Message}", e);
        }
        if (doc is null || doc.Format != Format) throw new InvalidDataException($"expected format \"{Format}\", got \"{doc?.Format}\"");
        if (doc.Version != 1) throw new InvalidDataException($"expected version 1, got {doc.Version}");
        if (doc.PieceCount < 0) throw new InvalidDataException($"expected a piece count of 0 or more, got {doc.PieceCount}");
        var senders = (doc.Senders ?? []).Select(s => new PieceSender(s.Address, s.Client)).ToArray();
        var events = new PieceEvent[doc.Events?.Count ?? 0];
        for (var n = 0; n < events.Length; n++)
        {
            var e = doc.Events![n];
            if ((uint)e.Piece >= (uint)doc.PieceCount) throw new InvalidDataException($"event {n}: expected a piece below {doc.PieceCount}, got {e.Piece}");
            var state = Array.IndexOf(Names, e.State);
            if (state < 0) throw new InvalidDataException($"event {n}: expected a state ({string.Join(", ", Names)}), got \"{e.State}\"");
            if (e.Sender is { } s && (uint)s >= (uint)senders.Length) throw new InvalidDataException($"event {n}: expected a sender below {senders.Length}, got {s}");
            if (n > 0 && e.Ms < doc.Events[n - 1].Ms) throw new InvalidDataException($"event {n}: expected events oldest first, got {e.Ms} ms after {doc.Events[n - 1].Ms} ms");
            events[n] = new PieceEvent(TimeSpan.FromMilliseconds(e.Ms), e.Piece, (PieceState)state, e.Sender ?? -1, e.Several == true);
        }
        return new PieceRecording(doc.Name ?? "", doc.InfoHash ?? "", doc.PieceCount, doc.PieceLength, senders, events);
    }

    /// <summary>The states as the file names them, in <see cref="PieceState"/>'s order.</summary>
    private static readonly string[] Names = ["missing", "requested", "verified", "failed"];
}

internal sealed record RecordingDocument(string Format, int Version, string? Name, string? InfoHash, int PieceCount, long PieceLength,
    IReadOnlyList<RecordingSender>? Senders, IReadOnlyList<RecordingEvent>? Events);

internal sealed record RecordingSender(string Address, string? Client);

internal sealed record RecordingEvent(long Ms, int Piece, string State, int? Sender = null, bool? Several = null);

/// <summary>System.Text.Json source generation for recordings: no reflection, trimming-safe.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RecordingDocument))]
internal sealed partial class RecordingJsonContext : JsonSerializerContext;
