using System.Security.Cryptography;
using System.Text;

namespace TorrentLab.Lab;

/// <summary>How a student's submission folder is built and run: the starters' own commands for its language
/// (docs/exercises/starters/), recognised by the file that starts it.</summary>
/// <param name="Language">The language, for the report.</param>
/// <param name="Build">The build command, run in the folder; null when the language needs none.</param>
/// <param name="Run">The command that runs the built program, from the folder.</param>
public sealed record ClassSubmission(string Language, IReadOnlyList<string>? Build, IReadOnlyList<string> Run)
{
    // Folders and files a build writes: left out of a submission's fingerprint, so building does not look like a change.
    private static readonly HashSet<string> BuildOutputs = new(StringComparer.Ordinal) { "out", "target", "bin", "obj", "client", "__pycache__", ".git", "node_modules" };

    /// <summary>The submission in <paramref name="folder"/>, recognised by its starter's files, checked in this order:
    /// go.mod (Go), Cargo.toml (Rust), one .csproj (C#), Main.java (Java), main.js (JavaScript), main.py (Python).</summary>
    /// <exception cref="LabException">The folder does not exist or holds none of those files.</exception>
    public static ClassSubmission Detect(string folder)
    {
        if (!Directory.Exists(folder)) throw new LabException($"the submission folder {folder} does not exist");
        bool Has(string name) => File.Exists(Path.Combine(folder, name));
        if (Has("go.mod")) return new("Go", ["go", "build", "-o", "client", "."], ["./client"]);
        if (Has("Cargo.toml")) return new("Rust", ["cargo", "build", "--release"], ["./target/release/client"]);
        var projects = Directory.GetFiles(folder, "*.csproj");
        if (projects.Length == 1)
            return new("C#", ["dotnet", "build", "-c", "Release", "-o", "out"], ["dotnet", $"out/{Path.GetFileNameWithoutExtension(projects[0])}.dll"]);
        if (Has("Main.java")) return new("Java", ["javac", "-d", "out", "Main.java"], ["java", "-cp", "out", "Main"]);
        if (Has("main.js")) return new("JavaScript", null, ["node", "main.js"]);
        if (Has("main.py")) return new("Python", null, ["python3", "main.py"]);
        throw new LabException($"{folder} holds none of the starters' files (go.mod, Cargo.toml, one .csproj, Main.java, main.js, main.py)");
    }

    /// <summary>A fingerprint of what a student's grade depends on: <paramref name="parts"/> (the roster line, the
    /// options, the checker's build) and the content of <paramref name="paths"/> (files, or folders without their build
    /// outputs). The same fingerprint as last time means nothing changed, and the last grade stands.</summary>
    public static string Fingerprint(IEnumerable<string> parts, IEnumerable<string> paths)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        foreach (var part in parts) Add(part);
        foreach (var path in paths.Distinct().Order(StringComparer.Ordinal))
        {
            IEnumerable<string> files = File.Exists(path) ? new[] { path } : Directory.Exists(path) ? Files(path) : Array.Empty<string>();
            foreach (var file in files)
            {
                Add(Path.GetRelativePath(path, file));
                hash.AppendData(File.ReadAllBytes(file));
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static IEnumerable<string> Files(string folder) =>
        Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal)
            .Where(p => !BuildOutputs.Contains(Path.GetFileName(p)))
            .SelectMany(p => Directory.Exists(p) ? Files(p) : [p]);
}
