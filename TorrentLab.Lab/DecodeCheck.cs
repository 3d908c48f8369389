using System.Text;
using System.Text.Json;
using TorrentLab.Bencode;

namespace TorrentLab.Lab;

/// <summary>The four bencode stages: <c>decode &lt;bencoded&gt;</c> must print the value as JSON.</summary>
/// <remarks>The value is generated, encoded canonically by <see cref="BencodeWriter"/>, and the student's stdout is
/// parsed as JSON and compared by meaning (<see cref="JsonComparison"/>), so spacing and key order are free.</remarks>
internal static class DecodeCheck
{
    /// <summary>A check over the values <paramref name="samples"/> generates.</summary>
    public static LabStageCheck Over(Func<Random, IReadOnlyList<BValue>> samples) => async (context, ct) =>
    {
        var ran = "";
        var decoded = 0;   // values of this stage the program already decoded right: it does implement 'decode'
        foreach (var value in samples(context.Random))
        {
            var encoded = Encoding.UTF8.GetString(BencodeWriter.Encode(value));
            var run = await context.RunAsync(["decode", encoded], ct).ConfigureAwait(false);
            ran = run.CommandLine;
            var expected = BencodeJson.ToJson(value);
            if (Judge(value, encoded, run, decoded) is { } failure)
                return failure.RightOutput ? StageResult.RightOutputWrongEnd(context.Runs, run, expected)
                    : StageResult.Fail(context.Runs, run.CommandLine, expected, failure.Actual, failure.Hint);
            decoded++;
        }
        return StageResult.Pass(context.Runs, ran);
    };

    private static (string Actual, string? Hint, bool RightOutput)? Judge(BValue value, string encoded, StudentRun run, int decoded)
    {
        var stdout = run.Stdout.Trim();
        JsonElement? parsed = null;
        try
        {
            using var document = JsonDocument.Parse(stdout);
            parsed = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // Judged below: not JSON at all.
        }
        var difference = parsed is { } p ? JsonComparison.Difference(value, p) : "not JSON";
        if (difference is not null && TextDecoding.CharacterLengthHint(value, encoded, parsed, !run.Succeeded) is { } characters)
            return ($"{run.StdoutShown}\n({(run.Succeeded ? difference : run.Outcome)})", characters, false);
        if (!run.Succeeded)
            return ($"{run.StdoutShown}\n({run.Outcome})",
                stdout.Length == 0 ? (decoded > 0
                    ? $"your program decoded the {decoded} value(s) before this one, then failed on {encoded}: read the error above for what this value has that they had not"
                    : $"your program failed on {encoded}: read the error above; does it implement the 'decode' command?")
                : difference is null ? null
                : parsed is { } shown ? MismatchHint(value, shown, encoded) : null,
                difference is null);
        if (parsed is not { } json) return (run.StdoutShown, NotJsonHint(value, stdout), false);
        if (difference is null) return null;
        return ($"{run.StdoutShown}\n({difference})", MismatchHint(value, json, encoded), false);
    }

    private static string NotJsonHint(BValue value, string stdout)
    {
        if (stdout.Contains("b'", StringComparison.Ordinal) || stdout.Contains("b\"", StringComparison.Ordinal))
            return "that is a bytes object's repr: decode the bytes to text and print JSON (e.g. json.dumps)";
        if (stdout.Contains('\'') && !stdout.Contains('"'))
            return "that looks like a print of a list or dict (single quotes): print JSON instead (e.g. json.dumps), which uses double quotes";
        if (value is BString s && stdout == s.Text)
            return "print the string as JSON, in double quotes (\"hello\"), not bare";
        return "print exactly one JSON value on stdout, and nothing else (debug output goes to stderr)";
    }

    private static string? MismatchHint(BValue value, JsonElement json, string encoded)
    {
        switch (value)
        {
            case BInteger i when json.ValueKind == JsonValueKind.String:
                return "integers are JSON numbers (52), not strings (\"52\")";
            case BInteger i when json.ValueKind == JsonValueKind.Number && json.TryGetInt64(out var n):
                if (n == -i.Value) return "keep the minus sign: i-52e is -52";
                if (n == unchecked((int)i.Value) || i.Value > int.MaxValue) return "bencode integers can exceed 32 bits: parse them as 64-bit integers";
                return $"read the digits between 'i' and 'e': {encoded} is {i.Value}";
            case BString s when json.ValueKind == JsonValueKind.String && json.GetString() is { } got
                && got == Encoding.Latin1.GetString(s.Bytes.Span) && TextDecoding.HasNonAscii(s.Text):
                return "the string's bytes are UTF-8: decode them as UTF-8 to print them (you decoded each byte as one character, as Latin-1 does)";
            case BString s when json.ValueKind == JsonValueKind.String && json.GetString() is { } got:
                if (s.Text.StartsWith(got, StringComparison.Ordinal) || got.StartsWith(s.Text, StringComparison.Ordinal))
                    return "read exactly <length> bytes after the first colon; the length may have several digits, and the string may itself hold digits and colons";
                return "the string is everything after the first colon, <length> bytes of it";
            case BString when json.ValueKind == JsonValueKind.Number:
                return "a string that starts with a digit is still a string: a value starting with a digit is <length>:<bytes>";
            case BList when json.ValueKind == JsonValueKind.Array:
                return "decode list items one after another until the 'e' that closes this list; nested lists have their own 'e'";
            case BDictionary when json.ValueKind == JsonValueKind.Array:
                return "a dictionary is a JSON object {\"key\": value}, not a list of pairs";
            case BDictionary when json.ValueKind == JsonValueKind.Object:
                return "a dictionary alternates keys (strings) and values until its 'e'; values can be lists or dictionaries";
            default:
                return null;
        }
    }
}
