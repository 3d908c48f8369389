using System.Diagnostics;
using System.Text;
using TorrentLab.Tests.Infrastructure;

using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Hooks;

/// <summary>A hook program for tests: a shell script in a temp folder that writes, per run, its arguments and its
/// environment to a file of its own (<c>run-PID</c>, moved into place whole), which a test waits for. Made with
/// <paramref name="then"/>, script lines run after the record (<c>exit 3</c>, <c>sleep 600</c>).</summary>
internal sealed class FakeHookProgram : IDisposable
{
    private readonly TempFolder _folder = new("torrentlab-hook");

    public FakeHookProgram(string then = "")
    {
        Directory.CreateDirectory(Runs);
        Path = _folder.Combine("hook program.sh"); // a space in its own path: the command line must quote it
        File.WriteAllText(Path, $$"""
            #!/bin/sh
            out='{{Runs}}'
            { printf '%s\0' "$0" "$@"; printf '\001'; env -0; } > "$out/.part-$$"
            mv "$out/.part-$$" "$out/run-$$"
            {{then}}
            """.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The script's path (it holds a space).</summary>
    public string Path { get; }

    /// <summary>The script's path as a command line's first word.</summary>
    public string Quoted => $"\"{Path}\"";

    /// <summary>The folder the runs are written to.</summary>
    public string Runs => _folder.Combine("runs");

    /// <summary>A folder of the test's own, beside the runs (a hostile name's would-be victim).</summary>
    public string Folder => _folder.Path;

    /// <summary>Each run so far: its arguments (the script's path first) and environment.</summary>
    public IReadOnlyList<(IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Environment)> All() =>
    [
        .. Directory.GetFiles(Runs, "run-*").Order(StringComparer.Ordinal).Select(file =>
        {
            var text = File.ReadAllText(file, Encoding.UTF8);
            var parts = text.Split('\u0001');
            var args = parts[0].Split('\0')[..^1];
            var environment = parts[1].Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Select(v => v.Split('=', 2)).Where(kv => kv.Length == 2).GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
            return ((IReadOnlyList<string>)args, (IReadOnlyDictionary<string, string>)environment);
        }),
    ];

    /// <summary>Waits for the first run and returns it.</summary>
    public async Task<(IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Environment)> FirstRunAsync(CancellationToken ct, int runs = 1)
    {
        await Wait.UntilAsync(() => Directory.GetFiles(Runs, "run-*").Length >= runs, TimeSpan.FromSeconds(60), $"the hook program never ran {runs} time(s)", ct);
        return All()[0];
    }

    /// <summary>Whether process <paramref name="pid"/> still lives (a zombie counts as gone).</summary>
    public static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !process.HasExited && stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() != 'Z';
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException) { return false; }
    }

    public void Dispose() => _folder.Dispose();
}
