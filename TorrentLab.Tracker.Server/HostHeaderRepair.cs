using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace TorrentLab.Tracker.Server;

/// <summary>Brackets an IPv6 address written bare in an HTTP request's <c>Host</c> header (<c>Host: ::1:6969</c>
/// becomes <c>Host: [::1]:6969</c>) before Kestrel reads the request, which it would otherwise refuse with 400.</summary>
/// <remarks>
/// RFC 3986 section 3.2.2 writes an IPv6 host in brackets, and Kestrel enforces it; but libtorrent announcing to
/// <c>http://[::1]:PORT/announce</c> sends the address bare (opentracker accepts it). A tracker's clients are not
/// browsers and the tracker answers whatever the Host says (no DNS-rebinding risk: it serves no page and keeps no
/// session), so the tracker alone repairs the header; the web server's strict check (<c>Web/RequestGuard.cs</c>) is
/// untouched. The repair runs on the raw bytes of each request head (everything up to the blank line, at most
/// <see cref="MaxHead"/> bytes; a longer one passes unchanged and Kestrel judges it).
/// </remarks>
internal static class HostHeaderRepair
{
    /// <summary>Request heads longer than this pass unchanged (announce URLs are well under 2 KiB).</summary>
    public const int MaxHead = 16 * 1024;

    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    /// <summary>A Kestrel connection middleware: the connection's input goes through <see cref="Repair"/>.</summary>
    public static ConnectionDelegate Middleware(ConnectionDelegate next) => async context =>
    {
        var original = context.Transport;
        var repaired = new Pipe();
        var pump = PumpAsync(original.Input, repaired.Writer);
        context.Transport = new Duplex(repaired.Reader, original.Output);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Transport = original;
            await repaired.Reader.CompleteAsync().ConfigureAwait(false);
            original.Input.CancelPendingRead(); // the pump stops at once; Kestrel still owns the original input
            await pump.ConfigureAwait(false);
        }
    };

    /// <summary>Copies <paramref name="input"/> to <paramref name="output"/>, one request head at a time, repaired.</summary>
    private static async Task PumpAsync(PipeReader input, PipeWriter output)
    {
        try
        {
            while (true)
            {
                var read = await input.ReadAsync().ConfigureAwait(false);
                if (read.IsCanceled) return;
                var buffer = read.Buffer;
                while (TryTakeHead(ref buffer, out var head)) output.Write(Repair(head));
                // No complete head: pass everything when it is already too long to be one, or when the input ended.
                if (buffer.Length > MaxHead || (read.IsCompleted && !buffer.IsEmpty))
                {
                    foreach (var segment in buffer) output.Write(segment.Span);
                    buffer = buffer.Slice(buffer.End);
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                var flushed = await output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || read.IsCompleted) return;
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or InvalidOperationException or OperationCanceledException)
        {
            // The connection went away (or Kestrel finished with it): nothing more to copy.
        }
        finally
        {
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static bool TryTakeHead(ref ReadOnlySequence<byte> buffer, out byte[] head)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> _, EndOfHead, advancePastDelimiter: true) || reader.Consumed > MaxHead)
        {
            head = [];
            return false;
        }
        head = buffer.Slice(0, reader.Position).ToArray();
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    /// <summary>The request head with a bare IPv6 Host value bracketed; any other head unchanged.</summary>
    /// <remarks><c>::1:6969</c> is itself a valid IPv6 address, but a client that names a port writes it last: the
    /// last group is read as the port when what comes before it is an address on its own.</remarks>
    public static byte[] Repair(byte[] head)
    {
        var text = Encoding.Latin1.GetString(head);
        var start = text.StartsWith("Host:", StringComparison.OrdinalIgnoreCase) ? 0
            : text.IndexOf("\r\nHost:", StringComparison.OrdinalIgnoreCase) is var at and >= 0 ? at + 2 : -1;
        if (start < 0) return head;
        var valueStart = start + "Host:".Length;
        var lineEnd = text.IndexOf("\r\n", valueStart, StringComparison.Ordinal);
        if (lineEnd < 0) return head;
        var value = text[valueStart..lineEnd].Trim(' ', '\t');
        if (Bracketed(value) is not { } fixedValue) return head;
        return Encoding.Latin1.GetBytes(string.Concat(text.AsSpan(0, valueStart), " ", fixedValue, text.AsSpan(lineEnd)));
    }

    /// <summary>"[addr]:port" or "[addr]" for a bare IPv6 host (with or without a port), else null.</summary>
    internal static string? Bracketed(string value)
    {
        if (value.StartsWith('[') || value.Count(c => c == ':') < 2) return null;
        var lastColon = value.LastIndexOf(':');
        var port = value[(lastColon + 1)..];
        if (port.Length is > 0 and <= 5 && port.All(char.IsAsciiDigit) && IsIPv6(value[..lastColon]))
            return $"[{value[..lastColon]}]:{port}";
        return IsIPv6(value) ? $"[{value}]" : null;
    }

    private static bool IsIPv6(string text) =>
        IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
