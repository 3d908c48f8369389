namespace TorrentLab.Lab;

/// <summary>One student of a class: a name (for the table and the file of their report) and the command that runs their
/// program from the roster's folder, or their submission folder (<see cref="Folder"/>), built and run with the starters'
/// own commands (<see cref="ClassSubmission"/>).</summary>
public sealed record ClassStudent(string Name, IReadOnlyList<string> Command, int Line)
{
    /// <summary>The submission folder, relative to the roster's (a roster line <c>alice alice/</c>), or null for a command.</summary>
    public string? Folder { get; init; }

    /// <summary>Whether <see cref="Folder"/> was named as a git repository (<c>git:PATH</c>); a folder line whose folder
    /// is a repository is graded as one too (<see cref="ClassGit"/>).</summary>
    public bool Git { get; init; }

    /// <summary>The branch, tag or commit to grade (<c>git:PATH#REF</c>); null grades the repository's HEAD.</summary>
    public string? GitReference { get; init; }
}

/// <summary>A class roster for <c>lab class</c>: one student per line, <c>name command...</c>, as in
/// <code>
/// # name   command (run from this file's folder)
/// alice    python3 alice/client.py
/// bob      node "bob/my client.js"
/// </code>
/// A line whose only word after the name ends with '/' names a submission folder instead (<c>carol carol/</c>): it is
/// built and run with its language's starter commands; when that folder is a git repository it is graded at its HEAD
/// commit. <c>dave git:repos/dave#v2</c> names a git repository on this machine (a work tree or a bare one) and, after
/// '#', the branch, tag or commit to grade (<see cref="ClassGit"/>); a URL is refused. Blank lines and lines starting with '#' are skipped; a command's words are split at spaces, and a word in double or
/// single quotes may hold spaces.</summary>
public static class ClassRoster
{
    /// <summary>The students of the roster at <paramref name="path"/>.</summary>
    /// <exception cref="LabException">The file cannot be read, a line has no command, a name repeats or holds characters
    /// other than letters, digits, '-', '_' and '.', or no student is listed.</exception>
    public static IReadOnlyList<ClassStudent> Read(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new LabException($"cannot read the roster {path}: {e.Message}"); }
        return Parse(lines, path);
    }

    /// <summary>The students of the roster's <paramref name="lines"/> (<paramref name="source"/> names it in errors).</summary>
    public static IReadOnlyList<ClassStudent> Parse(IReadOnlyList<string> lines, string source)
    {
        var students = new List<ClassStudent>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var words = Split(line, source, i + 1);
            if (words.Count < 2) throw new LabException($"{source}:{i + 1}: expected 'name command...', got '{line}'");
            var name = words[0];
            if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || name.StartsWith('.'))
                throw new LabException($"{source}:{i + 1}: a student's name is letters, digits, '-', '_' and '.' (it names a file), got '{name}'");
            if (students.Any(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
                throw new LabException($"{source}:{i + 1}: the name '{name}' is already used on line {students.First(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Line}");
            if (words.Count == 2 && words[1].StartsWith("git:", StringComparison.Ordinal))
            {
                var location = words[1]["git:".Length..];
                var hash = location.LastIndexOf('#');
                var reference = hash >= 0 ? location[(hash + 1)..] : null;
                if (hash >= 0) location = location[..hash];
                if (location.Length == 0 || reference is { Length: 0 } || reference?.StartsWith('-') == true)
                    throw new LabException($"{source}:{i + 1}: expected 'git:PATH' or 'git:PATH#REF' (a branch, tag or commit), got '{words[1]}'");
                ClassGit.CheckLocal(location, $"{source}:{i + 1}");
                students.Add(new ClassStudent(name, [], i + 1) { Folder = location, Git = true, GitReference = reference });
            }
            else students.Add(words.Count == 2 && words[1].EndsWith('/')
                ? new ClassStudent(name, [], i + 1) { Folder = words[1] }
                : new ClassStudent(name, words.Skip(1).ToList(), i + 1));
        }
        if (students.Count == 0) throw new LabException($"{source}: no student listed (one per line: name command...)");
        return students;
    }

    private static List<string> Split(string line, string source, int number)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        char? quote = null;
        var inWord = false;
        foreach (var c in line)
        {
            if (quote is { } q)
            {
                if (c == q) quote = null;
                else word.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (quote is not null) throw new LabException($"{source}:{number}: a quote is not closed");
        if (inWord) words.Add(word.ToString());
        return words;
    }
}
