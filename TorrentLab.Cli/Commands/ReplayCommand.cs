using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TorrentLab.Downloads;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab replay FILE [--frames N] [--pause DURATION]</c>: steps through a download recorded with
/// <c>--record FILE</c> (<see cref="PieceRecording"/>), printing the piece map as <c>torrentlab pieces</c> does at
/// evenly spaced moments, with a pause between them, so a class can watch the map fill.</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A recording made with 'torrentlab FILE.torrent --record FILE'" };
        var frames = new Option<int>("--frames") { Description = "Maps to print, evenly spaced over the recording (the last at its end)", DefaultValueFactory = _ => 10 }
            .AtLeast(1, 1000);
        var pause = Duration.Create("--pause", "Wait between maps, so a class can watch (0: print them all at once; default 1s)", TimeSpan.FromSeconds(1),
            allowZero: true, max: TimeSpan.FromHours(1));
        var command = new Command("replay", "Step through a download recorded with --record: the piece map at evenly spaced moments, "
            + "each piece verified (#), requested (r), failed (x) or missing (.), and the letter of the peer that sent it")
        {
            file, frames, pause,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            PieceRecording recording;
            try
            {
                recording = PieceRecording.FromJson(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false));
            }
            catch (InvalidDataException e)
            {
                Console.Error.WriteLine($"error: {UntrustedText.Clean(path, 300)}: {UntrustedText.Clean(e.Message, 500)}");
                return ExitCodes.BadInput;
            }
            var wait = parse.GetValue(pause) ?? TimeSpan.FromSeconds(1);
            var count = parse.GetValue(frames);
            for (var f = 1; f <= count; f++)
            {
                if (f > 1 && wait > TimeSpan.Zero) await Task.Delay(wait, ct).ConfigureAwait(false);
                Print(recording, recording.Duration * f / count, f, count, Console.Out);
            }
            return ExitCodes.Ok;
        });
    }

    /// <summary>One frame: a line saying when, then the map at that moment as <c>torrentlab pieces</c> prints it.</summary>
    internal static void Print(PieceRecording recording, TimeSpan at, int frame, int frames, TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"--- {at.TotalSeconds:0.0} s of {recording.Duration.TotalSeconds:0.0} s (map {frame} of {frames}) ---"));
        using var map = JsonDocument.Parse(MapJson(recording, recording.MapAt(at)));
        PiecesCommand.Print(map.RootElement, output);
    }

    /// <summary>The map in the shape <c>GET /api/torrents/{hash}/pieces</c> answers (no files: a recording keeps none).</summary>
    private static byte[] MapJson(PieceRecording recording, PieceStates pieces)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("infoHash", recording.InfoHash);
            json.WriteString("name", recording.Name);
            json.WriteNumber("pieceLength", recording.PieceLength);
            json.WriteString("states", pieces.ToDigits());
            json.WriteNumber("missing", pieces.CountOf(PieceState.Missing));
            json.WriteNumber("requested", pieces.CountOf(PieceState.Requested));
            json.WriteNumber("verified", pieces.CountOf(PieceState.Verified));
            json.WriteNumber("failed", pieces.CountOf(PieceState.Failed));
            if (pieces.Senders is { } senders)
            {
                var sent = new int[senders.Peers.Count];
                json.WriteStartArray("sentBy");
                for (var i = 0; i < pieces.Count; i++)
                {
                    var row = pieces[i] == PieceState.Verified ? senders.PeerOf(i) : -1;
                    if (row >= 0) sent[row]++;
                    json.WriteNumberValue(row);
                }
                json.WriteEndArray();
                json.WriteStartArray("sentBySeveral");
                for (var i = 0; i < pieces.Count; i++) if (pieces[i] == PieceState.Verified && senders.FromSeveral(i)) json.WriteNumberValue(i);
                json.WriteEndArray();
                json.WriteStartArray("senders");
                for (var r = 0; r < sent.Length; r++)
                {
                    json.WriteStartObject();
                    json.WriteString("address", senders.Peers[r].Address);
                    json.WriteString("client", senders.Peers[r].Client);
                    json.WriteNumber("pieces", sent[r]);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return stream.ToArray();
    }
}
