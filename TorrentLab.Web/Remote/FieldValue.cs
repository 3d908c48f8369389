using System.Text.Json;

namespace TorrentLab.Web;

/// <summary>One field's value as a remote API writes it: a whole number, a real number, a flag, a text, or
/// <see cref="None"/> (a figure that is not known, or a moment that never came), which each API writes in its own way
/// (<see cref="Or"/>). A struct: rows are written by the ten thousand, and a boxed value per field would cost more than
/// writing it.</summary>
internal readonly struct FieldValue
{
    private enum Kind : byte { None, Whole, Real, Flag, Text }

    private readonly Kind _kind;
    private readonly long _whole;
    private readonly double _real;
    private readonly string? _text;

    private FieldValue(Kind kind, long whole = 0, double real = 0, string? text = null) =>
        (_kind, _whole, _real, _text) = (kind, whole, real, text);

    /// <summary>No value: each API says so with its own number (<see cref="Or"/>).</summary>
    public static FieldValue None => default;

    public bool IsNone => _kind == Kind.None;

    /// <summary>The value as a number (a flag is 1 or 0); null for a text or <see cref="None"/>.</summary>
    public double? Number => _kind switch { Kind.Whole or Kind.Flag => _whole, Kind.Real => _real, _ => null };

    /// <summary>The whole number (a real one cut towards zero).</summary>
    public long Whole => _kind == Kind.Real ? (long)_real : _whole;

    public static implicit operator FieldValue(long value) => new(Kind.Whole, whole: value);
    public static implicit operator FieldValue(int value) => new(Kind.Whole, whole: value);
    public static implicit operator FieldValue(double value) => new(Kind.Real, real: value);
    public static implicit operator FieldValue(bool value) => new(Kind.Flag, whole: value ? 1 : 0);
    public static implicit operator FieldValue(string value) => new(Kind.Text, text: value);

    /// <summary>A number that may not be known: <see cref="None"/> when null.</summary>
    public static implicit operator FieldValue(long? value) => value is { } v ? new(Kind.Whole, whole: v) : None;

    /// <summary>A moment as Unix seconds, as both daemons write dates; <see cref="None"/> when it never came.</summary>
    public static FieldValue Seconds(DateTimeOffset? at) => at?.ToUnixTimeSeconds();

    /// <summary>This value, or <paramref name="none"/> when there is none (Transmission's 0 or -1, qBittorrent's -1 or
    /// 8,640,000 for an ETA).</summary>
    public FieldValue Or(FieldValue none) => IsNone ? none : this;

    /// <summary>Writes the value; <see cref="None"/> is written as null, which no API's row should contain (a test
    /// reads every field of every API for a torrent and finds none).</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        switch (_kind)
        {
            case Kind.Whole: w.WriteNumberValue(_whole); break;
            case Kind.Real: w.WriteNumberValue(_real); break;
            case Kind.Flag: w.WriteBooleanValue(_whole != 0); break;
            case Kind.Text: w.WriteStringValue(_text); break;
            default: w.WriteNullValue(); break;
        }
    }
}
