namespace TorrentLab.Lab;

/// <summary>Which paths a run of a student's program may see beyond the read-only root: the sandbox hides every home and
/// the shared temporary folders, and a bind of a path would show what lies inside it again. So a path is bound only when
/// it lies strictly inside a hidden place (outside them, the read-only root already shows it) and is neither a home nor
/// inside a home's dot-folder; never <c>/</c>, a hidden place itself, a folder above one, or <c>/proc</c>.</summary>
/// <remarks>This is what makes the sandbox independent of where the checker starts: from <c>/</c>, from the teacher's
/// home or from <c>/tmp</c>, the working directory is not bound (and need not be: it is visible read-only already or it
/// is a place that must stay hidden); only the files the command names are, each with its folder when that folder is
/// bindable, alone otherwise (<c>cd ~ &amp;&amp; torrentlab lab check -- python3 probe.py</c> shows <c>~/probe.py</c> and
/// nothing else of the home).</remarks>
internal sealed class SandboxPaths(IReadOnlyList<string> hidden, IReadOnlyList<string> homes)
{
    /// <summary>The places hidden behind an empty tmpfs (homes, temporary folders), outermost only.</summary>
    public IReadOnlyList<string> Hidden { get; } = hidden;

    /// <summary>The homes: the teacher's, <c>/root</c>, and every folder directly in <c>/home</c>.</summary>
    public IReadOnlyList<string> Homes { get; } = homes;

    /// <summary>This machine's hidden places and homes.</summary>
    public static SandboxPaths Here()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string[] candidates = ["/home", "/root", "/tmp", "/var/tmp", "/run/user", Path.GetTempPath().TrimEnd('/'), home];
        var hidden = candidates.Where(p => p.Length > 1 && Directory.Exists(p)).Select(Path.GetFullPath).Distinct()
            // A folder inside another hidden one is hidden with it (and a tmpfs on it would fail on the first).
            .OrderBy(p => p.Length).Aggregate(new List<string>(), (kept, p) =>
            {
                if (!kept.Any(k => p.StartsWith(k + "/", StringComparison.Ordinal))) kept.Add(p);
                return kept;
            });
        var homes = new List<string> { "/root" };
        if (home.Length > 1) homes.Add(Path.GetFullPath(home).TrimEnd('/'));
        return new SandboxPaths(hidden, homes);
    }

    /// <summary>Whether <paramref name="path"/> (full, no trailing slash) may be bound read-only into the sandbox.</summary>
    public bool Bindable(string path)
    {
        if (!Hidden.Any(h => path.StartsWith(h + "/", StringComparison.Ordinal))) return false;   // visible already, or never
        if (IsHome(path)) return false;
        // Inside a home, nothing in a dot-folder (~/.ssh, ~/.config, ...): those hold the teacher's data, not a student's work.
        var home = Homes.Concat(["/home"]).Where(h => path.StartsWith(h + "/", StringComparison.Ordinal)).OrderByDescending(h => h.Length).FirstOrDefault();
        if (home is null) return true;
        var below = path[(home.Length + 1)..].Split('/');
        if (home == "/home") below = below[1..];   // /home/<user>/...: the first part is the user's home
        return !below.Any(p => p.StartsWith('.'));
    }

    /// <summary>Whether <paramref name="path"/> is a home: <c>/root</c>, the teacher's, or a folder directly in <c>/home</c>.</summary>
    public bool IsHome(string path) =>
        Homes.Contains(path, StringComparer.Ordinal) || (path.StartsWith("/home/", StringComparison.Ordinal) && path.IndexOf('/', 6) < 0);

    /// <summary>What to bind so that <paramref name="paths"/> (full paths the command names, and the working directory)
    /// are visible: a bindable folder as it is; an existing file with its folder when that is bindable, alone when it lies
    /// in a hidden place but its folder may not be shown; nothing for a path already visible or never to be shown.</summary>
    public IReadOnlyList<string> Binds(IEnumerable<string> paths)
    {
        var binds = new List<string>();
        // Judged by where it really is: a link in a student's folder to ~/.ssh is ~/.ssh.
        foreach (var path in paths.Select(p => Real(Path.GetFullPath(p), 0)).Where(p => p.Length > 1).Distinct())
        {
            if (Directory.Exists(path)) { if (Bindable(path)) binds.Add(path); continue; }
            if (!File.Exists(path)) continue;
            var folder = Path.GetDirectoryName(path)!;
            if (Bindable(folder)) binds.Add(folder);
            // Alone: a file directly in a home or a hidden place (~/probe.py), but no dot-file (~/.bashrc) and nothing in a dot-folder.
            else if ((IsHome(folder) || Hidden.Contains(folder, StringComparer.Ordinal)) && !Path.GetFileName(path).StartsWith('.')) binds.Add(path);
        }
        // A path inside another one bound is visible with it.
        return binds.Distinct().Where(b => !binds.Any(o => o != b && b.StartsWith(o + "/", StringComparison.Ordinal))).ToList();
    }

    /// <summary><paramref name="path"/> with every symbolic link on the way followed (at most 40, as the kernel does).</summary>
    internal static string Real(string path, int links)
    {
        var current = "/";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                if (++links > 40) return next;
                next = Real(Path.GetFullPath(target, current), links);
            }
            current = next;
        }
        return current;
    }
}
