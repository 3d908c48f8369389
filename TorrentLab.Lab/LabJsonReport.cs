using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TorrentLab.Lab;

/// <summary>The machine-readable verdicts of <c>lab check --json</c>: one JSON object per checked stage, one per line
/// (JSON Lines), for a teacher's scripts and the class report.</summary>
/// <remarks>Each object: <c>{"stage", "verdict": "PASS"|"FAIL", "seconds", "seed", "runs", "timed_out", "stopped", "faults",
/// "hint", "expected", "got", "ran", "exercise", "program", "startup_seconds", "slow"}</c>; <c>hint</c>, <c>expected</c>,
/// <c>got</c> and <c>ran</c> are null on a PASS; <c>stopped</c> names the time limit or the sandbox's cap that ended the
/// failing run (<see cref="StageResult.Stop"/>), null when none did.</remarks>
public static class LabJsonReport
{
    /// <summary>One stage's verdict as one line of JSON.</summary>
    public static string StageLine(string program, LabTiming timing, LabStage stage, StageResult result)
    {
        using var buffer = new MemoryStream();
        // Quotes and non-ASCII text as they are ("\"héllo\"", not "\u0022h\u00E9llo\u0022"): a teacher reads these lines, and
        // they are never embedded in HTML, the only place the default escaping protects.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("stage", stage.Name);
            json.WriteString("verdict", result.Passed ? "PASS" : "FAIL");
            json.WriteNumber("seconds", Math.Round(result.Elapsed.TotalSeconds, 2));
            json.WriteNumber("seed", result.Seed);
            json.WriteNumber("runs", result.Cases);
            json.WriteBoolean("timed_out", result.TimedOut);
            WriteOrNull(json, "stopped", result.Passed ? null : result.Stop);
            json.WriteBoolean("faults", result.Faults);
            WriteOrNull(json, "hint", result.Passed ? null : result.Hint);
            WriteOrNull(json, "expected", result.Passed ? null : result.Expected);
            WriteOrNull(json, "got", result.Passed ? null : result.Actual);
            WriteOrNull(json, "ran", result.Passed ? null : result.Ran);
            json.WriteString("exercise", stage.Exercise);
            json.WriteString("program", program);
            json.WriteNumber("startup_seconds", Math.Round(timing.Startup.TotalSeconds, 3));
            json.WriteNumber("slow", timing.Slow);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    /// <summary>Seconds with an invariant decimal point, for the text reports.</summary>
    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
}
