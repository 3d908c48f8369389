using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Spectre.Console;
using TorrentLab.Creation;
using TorrentLab.Metainfo;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab create &lt;file-or-folder&gt;</c>: hashes the input and writes a .torrent (BEP 3, 12, 19, 27).</summary>
/// <remarks>Each <c>--tracker</c> is its own BEP 12 tier, as each mktorrent <c>-a</c> is; URLs joined by commas in one
/// <c>--tracker</c> share a tier. Progress goes to stderr: a bar on a terminal, a line every few seconds otherwise,
/// nothing with <c>--quiet</c>. The one-line summary goes to stdout.</remarks>
internal static class CreateCommand
{
    private static readonly TimeSpan PlainProgressInterval = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var input = new Argument<string>("file-or-folder") { Description = "What to share: a file (single-file torrent) or a folder (multi-file torrent)" }.NotAnOption();
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the .torrent [default: <name>.torrent]" }.FileNotFolder();
        var trackers = new Option<string[]>("--tracker", "-a")
        {
            Description = "Tracker announce URL; repeat for backup tiers, join with ',' for one tier",
            CustomParser = ParseTrackers,
        };
        var pieceLength = new Option<int?>("--piece-length", "-l")
        {
            Description = "Bytes per piece: a power of two from 16K to 16M, e.g. 262144 or 256K [default: automatic]",
            CustomParser = ParsePieceLength,
        };
        var isPrivate = new Option<bool>("--private") { Description = "Set the private flag (BEP 27): peers only from the trackers (mktorrent: -p; here -p is always --port)" }.SpelledElsewhere("-p");
        var comment = new Option<string?>("--comment", "-c") { Description = "A comment stored in the torrent" };
        var webSeeds = new Option<string[]>("--web-seed", "-w")
        {
            Description = "An HTTP(S) web seed URL (BEP 19); repeat for more",
            CustomParser = result => ParseUrls(result, "--web-seed", ["http", "https"]),
        };
        var v2 = new Option<bool>("--v2") { Description = "A BitTorrent v2 torrent (BEP 52: SHA-256 merkle trees); v1-only clients cannot use it" };
        var hybrid = new Option<bool>("--hybrid") { Description = "Both v1 and v2 hashes (BEP 52 hybrid, with BEP 47 pad files): every client can use it" };
        var noDate = new Option<bool>("--no-date") { Description = "Omit the creation date, so the same input gives the same file (mktorrent: -d; here -d is always --download-dir)" }.SpelledElsewhere("-d");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output" };
        var force = new Option<bool>("--force", "-f") { Description = "Replace the output file if it exists" };

        var command = new Command("create", "Create a .torrent from a file or a folder.")
        {
            input, output, trackers, pieceLength, isPrivate, comment, webSeeds, v2, hybrid, noDate, quiet, force,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(v2) && result.GetValue(hybrid)) result.AddError("--v2 and --hybrid exclude each other (--hybrid already includes v2)");
        });
        return command.WithAction(async (parse, cancellation) =>
        {
            var inputPath = parse.GetValue(input)!;
            var options = new TorrentCreateOptions
            {
                TrackerTiers = [.. (parse.GetValue(trackers) ?? []).Select(t => (IReadOnlyList<string>)t.Split(',', StringSplitOptions.RemoveEmptyEntries))],
                PieceLength = parse.GetValue(pieceLength),
                Private = parse.GetValue(isPrivate),
                Comment = parse.GetValue(comment),
                WebSeeds = parse.GetValue(webSeeds) ?? [],
                Format = parse.GetValue(hybrid) ? TorrentFormat.Hybrid : parse.GetValue(v2) ? TorrentFormat.V2 : TorrentFormat.V1,
            };
            if (parse.GetValue(noDate)) options = options with { CreationDate = null };

            var total = TorrentBuilder.GetPayloadLength(inputPath); // reports a bad input before any output
            var outputPath = parse.GetValue(output) ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(inputPath))) + ".torrent";
            if (File.Exists(outputPath) && !parse.GetValue(force))
                throw new IOException($"{outputPath} already exists (use --force to replace it)");

            var bytes = await HashWithProgress(inputPath, options, total, parse.GetValue(quiet), cancellation).ConfigureAwait(false);
            await File.WriteAllBytesAsync(outputPath, bytes, cancellation).ConfigureAwait(false);

            var torrent = Torrent.Parse(bytes);
            var hashes = torrent.IsV2Only ? $"v2 info hash {torrent.InfoHashV2!.Value.Hex}"
                : torrent.InfoHashV2 is { } both ? $"info hash {torrent.InfoHash.Hex}, v2 info hash {both.Hex}"
                : $"info hash {torrent.InfoHash.Hex}";
            Console.Out.WriteLine($"created {outputPath}: {torrent.Name}, {torrent.Files.Count(f => !f.IsPadding)} file(s), {Size(torrent.PayloadLength)}, " +
                $"{torrent.PieceCount} pieces of {Size(torrent.PieceLength)}, {hashes}");
            return ExitCodes.Ok;
        });
    }

    private static async Task<byte[]> HashWithProgress(string input, TorrentCreateOptions options, long total, bool quiet, CancellationToken cancellation)
    {
        var hashed = new LatestValue();
        var creating = TorrentBuilder.CreateAsync(input, options, hashed, cancellation);
        if (quiet) return await creating.ConfigureAwait(false);

        if (Console.IsErrorRedirected)
        {
            // Not a terminal: a plain line now and then, and nothing at all for a quick job.
            var started = DateTime.UtcNow;
            while (await Task.WhenAny(creating, Task.Delay(PlainProgressInterval, cancellation)).ConfigureAwait(false) != creating)
            {
                var done = hashed.Value;
                Console.Error.WriteLine($"hashing: {100.0 * done / total:0}% ({Size(done)} of {Size(total)}, {Size((long)(done / (DateTime.UtcNow - started).TotalSeconds))}/s)");
            }
            return await creating.ConfigureAwait(false);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("hashing", maxValue: total);
                while (await Task.WhenAny(creating, Task.Delay(100, cancellation)).ConfigureAwait(false) != creating)
                    task.Value = hashed.Value;
                task.Value = total;
                return await creating.ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    private static string[] ParseTrackers(ArgumentResult result) => ParseUrls(result, "--tracker", ["http", "https", "udp"]);

    private static string[] ParseUrls(ArgumentResult result, string option, string[] schemes)
    {
        var values = result.Tokens.Select(t => t.Value).ToArray();
        foreach (var url in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !schemes.Contains(uri.Scheme))
                result.AddError($"{option} '{url}' is not an absolute {string.Join(", ", schemes)} URL");
        }
        return values;
    }

    /// <summary>Reads "262144", "256K", "256KiB", "1M" or "1MiB"; anything but a power of two from 16 KiB to 16 MiB is an error.</summary>
    private static int? ParsePieceLength(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value.Trim();
        var multiplier = 1L;
        foreach (var (suffix, factor) in new[] { ("KiB", 1L << 10), ("MiB", 1L << 20), ("K", 1L << 10), ("M", 1L << 20) })
        {
            if (!text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) continue;
            text = text[..^suffix.Length];
            multiplier = factor;
            break;
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > int.MaxValue
            || !PieceLengthRule.IsValid(number * multiplier))
        {
            result.AddError($"--piece-length must be a power of two from 16K (16384) to 16M, got '{result.Tokens.Single().Value}'");
            return null;
        }
        return (int)(number * multiplier);
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.##} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.##} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.##} KiB",
        _ => $"{bytes} B",
    };

    /// <summary>Keeps the latest count reported from the hashing thread, for the display loop to read.</summary>
    private sealed class LatestValue : IProgress<long>
    {
        private long _value;
        public long Value => Interlocked.Read(ref _value);
        public void Report(long value) => Interlocked.Exchange(ref _value, value);
    }
}
