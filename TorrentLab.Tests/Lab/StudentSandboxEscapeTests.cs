using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>The sandbox does not depend on where the checker starts (<see cref="StudentSandbox"/>, <see cref="SandboxPaths"/>):
/// <c>torrentlab lab check</c> started from <c>/</c>, from the home and from the repository, as root and as an unprivileged
/// user, runs a probe that tries to read the home, list <c>/tmp</c>, read the host's <c>/proc</c> and write outside, and
/// every attempt is contained.</summary>
[Trait("Tier", "Slow")]
public class StudentSandboxEscapeTests
{
    // The probe: argv[1] the home, argv[2] the test's id, argv[3] a marker found in the checker's environment only (not
    // the id: the sandbox's shell exports PWD, which may hold it); then the stage's own arguments. The planted files are
    // named after the id, not on the command line (a file the command names is made visible on purpose). It prints one
    // line per attempt and never fails itself.
    private const string Probe = """
        import os, sys
        home, test, marker = sys.argv[1:4]
        secret = os.path.join(home, "torrentlab-secret-%s.txt" % test)
        dotfolder = os.path.join(home, ".torrentlab-keys-%s" % test)
        planted = "/tmp/torrentlab-planted-%s" % test
        target = "/tmp/torrentlab-written-%s" % test
        def attempt(what, action):
            try:
                print(what + ": " + str(action()))
            except OSError as e:
                print(what + ": " + type(e).__name__)
        attempt("read-home", lambda: open(secret).read())
        attempt("list-dot-folder", lambda: os.listdir(dotfolder))
        attempt("list-ssh", lambda: os.listdir(os.path.join(home, ".ssh")))
        attempt("tmp-shows-planted", lambda: os.path.basename(planted) in os.listdir("/tmp"))
        def host_proc():
            seen = 0
            for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
                try:
                    if marker.encode() in open("/proc/%s/environ" % pid, "rb").read(): seen += 1
                except OSError:
                    pass
            return "marker in %d" % seen
        attempt("host-proc", host_proc)
        attempt("write", lambda: open(target, "w").write("x"))
        attempt("write-via-proc-root", lambda: open("/proc/1/root" + target + "-proc", "w").write("x"))
        attempt("write-home", lambda: open(secret + "-written", "w").write("x"))
        """;

    public static TheoryData<string, bool> Places => new()
    {
        { "/", false }, { "home", false }, { "repository", false },
        { "/", true }, { "home", true }, { "repository", true },
    };

    [Theory]
    [MemberData(nameof(Places))]
    public void CheckStartedFromAnywhere_AsAnyUser_ContainsEveryEscapeProbe(string start, bool unprivileged)
    {
        Interop.RequireExecutable("bwrap");
        if (StudentSandbox.Find(out var why) is null) Interop.Missing(why);
        var python = StudentClients.Python();
        string[] asUser = [];
        if (unprivileged)
        {
            if (!OperatingSystem.IsLinux() || Environment.UserName != "root") Assert.Skip("the unprivileged rows switch user from root, and this run is not root");
            asUser = [Interop.RequireExecutable("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups"];
        }
        var id = Guid.NewGuid().ToString("N");
        var marker = Guid.NewGuid().ToString("N");
        // The home: root's own, or for the unprivileged user a home of its own in /home, made for the test.
        var home = unprivileged ? Path.Combine("/home", $"torrentlab-escape-{id}") : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var made = new List<string>();
        using var temp = new TempFolder();
        try
        {
            if (unprivileged) { Directory.CreateDirectory(home); made.Add(home); }
            var secret = Path.Combine(home, $"torrentlab-secret-{id}.txt");
            var dotFolder = Path.Combine(home, $".torrentlab-keys-{id}");
            var planted = Path.Combine("/tmp", $"torrentlab-planted-{id}");
            var target = Path.Combine("/tmp", $"torrentlab-written-{id}");
            File.WriteAllText(secret, "the answers"); made.Add(secret);
            Directory.CreateDirectory(dotFolder); made.Add(dotFolder);
            File.WriteAllText(Path.Combine(dotFolder, "id_key"), "a key");
            File.WriteAllText(planted, "planted"); made.Add(planted);
            made.AddRange([target, target + "-proc", secret + "-written", Path.Combine(home, $"probe-{id}.py")]);
            // From the home, the probe lies in the home and is named relative; elsewhere, in a folder of the test's own.
            var probe = start == "home" ? Path.Combine(home, $"probe-{id}.py") : temp.Combine("probe.py");
            File.WriteAllText(probe, Probe);
            var cliHome = temp.Combine("cli-home");
            Directory.CreateDirectory(cliHome);
            if (unprivileged)
                foreach (var path in new[] { home, temp.Path, cliHome, probe, secret })
                    ProcessRunner.Run("chown", ["65534:65534", path], TimeSpan.FromSeconds(30));
            var workingDirectory = start switch { "/" => "/", "home" => home, _ => TestPaths.RepoRoot };
            var programPath = start == "home" ? Path.GetFileName(probe) : probe;
            var environment = new Dictionary<string, string>
            {
                ["HOME"] = home, ["DOTNET_CLI_HOME"] = cliHome, ["DOTNET_NOLOGO"] = "1", ["TORRENTLAB_ESCAPE_MARKER"] = marker,
            };
            string[] check = ["dotnet", CliRunner.CliDll, "lab", "check", "--stage", "bencode-strings", "--seed", "1", "--sandbox", "--",
                python, programPath, home, id, marker];
            var command = asUser.Concat(check).ToList();

            var result = ProcessRunner.Run(command[0], command.Skip(1), TimeSpan.FromSeconds(300), workingDirectory, environment);

            var report = result.Stdout + result.Stderr;
            foreach (var line in new[] { "read-home: FileNotFoundError", "list-dot-folder: FileNotFoundError", "list-ssh: FileNotFoundError",
                         "tmp-shows-planted: False", "host-proc: marker in 0", "write-home: " })
                Assert.True(report.Contains(line, StringComparison.Ordinal), $"expected '{line}' in:\n{report}");
            // A write to /tmp lands in the sandbox's own capped /tmp, never on the host's.
            Assert.False(File.Exists(target), report);
            Assert.False(File.Exists(target + "-proc"), report);
            Assert.False(File.Exists(secret + "-written"), report);
            Assert.Equal("the answers", File.ReadAllText(secret));
            Assert.Contains("homes and temporary folders hidden wherever the checker starts", report);
            Assert.Contains("its scratch folder on a tmpfs capped at 512 MiB", report);
        }
        finally
        {
            foreach (var path in made.AsEnumerable().Reverse())
            {
                if (File.Exists(path)) File.Delete(path);
                else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            }
        }
    }
}
