using System.Diagnostics;

namespace TorrentLab.Lab;

/// <summary>A student's submission as a git repository on this machine (a class folder of clones, or a bare repository):
/// graded at one commit, from a local clone in the check's scratch folder, so untracked and uncommitted files do not
/// count, the build writes nothing into the student's repository, and nothing is fetched from the network.</summary>
/// <remarks>Local only: a roster names a path, never a URL (<see cref="CheckLocal"/> refuses <c>https://</c>,
/// <c>ssh://</c>, <c>host:path</c>), and every git command runs with <c>GIT_ALLOW_PROTOCOL=file</c>, so even a
/// repository whose alternates or submodules point elsewhere cannot make git dial out. Submodules are not cloned.</remarks>
public static class ClassGit
{
    /// <summary>How long one git command may take: a local clone of a classroom repository takes a second.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    /// <summary>Whether <paramref name="folder"/> is a git repository: a work tree (<c>.git</c> inside) or a bare one
    /// (<c>HEAD</c> and <c>objects/</c>).</summary>
    public static bool IsRepository(string folder) =>
        Directory.Exists(folder) && (Path.Exists(Path.Combine(folder, ".git"))
            || (File.Exists(Path.Combine(folder, "HEAD")) && Directory.Exists(Path.Combine(folder, "objects"))));

    /// <summary>Refuses a location that is not a local path.</summary>
    /// <exception cref="LabException">A URL (<c>scheme://</c>) or git's <c>host:path</c> form.</exception>
    public static void CheckLocal(string location, string where)
    {
        var colon = location.IndexOf(':', StringComparison.Ordinal);
        var slash = location.IndexOf('/', StringComparison.Ordinal);
        if (location.Contains("://", StringComparison.Ordinal) || (colon > 0 && (slash < 0 || colon < slash)))
            throw new LabException($"{where}: '{location}' is not a local path; the lab clones submissions from this machine only, never from the network (clone the class first, then name the folders)");
    }

    /// <summary>The full commit id <paramref name="reference"/> (a branch, tag or commit; null: HEAD) names in the
    /// repository at <paramref name="repository"/>.</summary>
    /// <exception cref="LabException">git is missing, the folder is not a repository, or the reference names no commit.</exception>
    public static async Task<string> ResolveAsync(string repository, string? reference, CancellationToken ct)
    {
        var name = reference ?? "HEAD";
        if (name.StartsWith('-')) throw new LabException($"'{name}' is not a git reference");
        var (code, output) = await GitAsync(["-C", repository, "rev-parse", "--verify", "--quiet", "--end-of-options", name + "^{commit}"], ct).ConfigureAwait(false);
        if (code != 0) throw new LabException(reference is null ? $"{repository} is a git repository without a commit" : $"{repository} has no commit named '{reference}'");
        return output.Trim();
    }

    /// <summary>Clones <paramref name="repository"/> into <paramref name="destination"/> (which must not exist) and checks
    /// out <paramref name="commit"/>, detached.</summary>
    /// <exception cref="LabException">A git command failed; the message carries git's own.</exception>
    public static async Task CloneAsync(string repository, string commit, string destination, CancellationToken ct)
    {
        var (code, output) = await GitAsync(["clone", "--quiet", "--no-checkout", "--no-hardlinks", "--", repository, destination], ct).ConfigureAwait(false);
        if (code != 0) throw new LabException($"git could not clone {repository}: {Last(output)}");
        (code, output) = await GitAsync(["-C", destination, "checkout", "--quiet", "--detach", commit], ct).ConfigureAwait(false);
        if (code != 0) throw new LabException($"git could not check out {commit} of {repository}: {Last(output)}");
    }

    private static string Last(string output) => output.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";

    // Runs git with the network protocols off and no prompt; returns its exit code and its output (stdout, then stderr).
    private static async Task<(int Code, string Output)> GitAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        // The teacher named these repositories: git's ownership check (a class folder copied from another account) is
        // lifted for this command only.
        foreach (var a in (string[])["-c", "safe.directory=*", "-c", "protocol.allow=never", "-c", "protocol.file.allow=always", "-c", "core.hooksPath=/dev/null"]) info.ArgumentList.Add(a);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["GIT_ALLOW_PROTOCOL"] = "file";
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        Process process;
        try { process = Process.Start(info) ?? throw new LabException("git could not be started"); }
        catch (System.ComponentModel.Win32Exception) { throw new LabException("the submission is a git repository, but git is not installed (Debian package git)"); }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(Limit);
            try { await process.WaitForExitAsync(limit.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                ct.ThrowIfCancellationRequested();
                throw new LabException($"git {string.Join(' ', args)} ran longer than {Limit.TotalMinutes:0} minutes");
            }
            return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
        }
    }
}
