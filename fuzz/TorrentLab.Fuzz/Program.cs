using SharpFuzz;
using TorrentLab.Fuzz;

// The fuzz targets' command line: afl-fuzz runs "TorrentLab.Fuzz TARGET" (fuzz/run.sh); a person replays inputs.
const string Usage = """
    usage: TorrentLab.Fuzz TARGET                 under afl-fuzz, the target's loop; otherwise one input from stdin
           TorrentLab.Fuzz TARGET FILE|FOLDER...  runs the target over files; exit 1 when any input fails
           TorrentLab.Fuzz --seeds FOLDER         writes every target's seed inputs into FOLDER/TARGET/
           TorrentLab.Fuzz --list                 the targets
    """;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}
if (args[0] == "--list")
{
    foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name,-10} {t.Parses}");
    return 0;
}
if (args[0] == "--seeds" && args.Length == 2)
{
    foreach (var t in FuzzTargets.All)
    {
        var folder = Directory.CreateDirectory(Path.Combine(args[1], t.Name)).FullName;
        foreach (var (name, bytes) in t.Seeds()) File.WriteAllBytes(Path.Combine(folder, name), bytes);
    }
    return 0;
}
if (args.Length == 1)
{
    // SharpFuzz's fork server: each input arrives on stdin; an exception that escapes Run is a crash. The child
    // process it runs the loop in is restarted after a crash that kills it (a stack overflow), so nothing is lost.
    // The instrumented assemblies may run only inside the loop (its coverage map is set up there), so even the
    // target is looked up in it: the first input's run, whose coverage SharpFuzz discards.
    var name = args[0];
    FuzzTarget? fuzzed = null;
    Fuzzer.OutOfProcess.Run(stream =>
    {
        fuzzed ??= FuzzTargets.Find(name) ?? throw new ArgumentException($"unknown target '{name}'");
        using var input = new MemoryStream();
        stream.CopyTo(input);
        fuzzed.Run(input.ToArray());
    });
    return 0;
}
if (FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine($"unknown target '{args[0]}'; the targets are {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 2;
}
var failed = 0;
var files = args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]);
foreach (var file in files)
{
    try
    {
        target.Run(File.ReadAllBytes(file));
    }
    catch (Exception e)
    {
        failed++;
        Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
        Console.WriteLine(e.StackTrace);
    }
}
Console.Error.WriteLine(failed == 0 ? "every input passed" : $"{failed} input(s) failed");
return failed == 0 ? 0 : 1;
