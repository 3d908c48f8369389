using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

/// <summary>What a run may see beyond the read-only root (<see cref="SandboxPaths"/>): a student's folder inside a hidden
/// place, never a home, a hidden place, a folder above one, <c>/</c> or <c>/proc</c>.</summary>
public class SandboxPathsTests
{
    private static readonly SandboxPaths Paths = new(["/home", "/root", "/tmp", "/var/tmp", "/run/user"], ["/root", "/home/ann"]);

    [Theory]
    [InlineData("/", false)]                      // the host's root, its /proc and /tmp with it
    [InlineData("/proc", false)]                  // the host's processes
    [InlineData("/var", false)]                   // above /var/tmp: visible read-only already, and a bind would show /var/tmp
    [InlineData("/srv/class/alice", false)]       // outside every hidden place: visible read-only already
    [InlineData("/tmp", false)]                   // a hidden place itself
    [InlineData("/home", false)]
    [InlineData("/root", false)]                  // a home
    [InlineData("/home/ann", false)]              // the teacher's home
    [InlineData("/home/bob", false)]              // another home
    [InlineData("/home/ann/.ssh", false)]         // a home's dot-folder
    [InlineData("/home/ann/class/.git", false)]   // a dot-folder deeper in a home
    [InlineData("/root/.config/x", false)]
    [InlineData("/tmp/class/alice", true)]        // a student's folder in a temporary folder
    [InlineData("/home/ann/class/alice", true)]   // a student's folder in the teacher's home
    [InlineData("/root/work", true)]
    public void Bindable_OnlyAStudentsFolderInsideAHiddenPlace(string path, bool bindable) =>
        Assert.Equal(bindable, Paths.Bindable(path));

    [Fact]
    public void Binds_AFileInAHome_IsBoundAlone_AndNothingOfItsDotFiles()
    {
        var home = Directory.CreateTempSubdirectory("torrentlab-paths-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(home, "probe.py"), "");
            File.WriteAllText(Path.Combine(home, ".bashrc"), "");
            Directory.CreateDirectory(Path.Combine(home, "alice"));
            Directory.CreateDirectory(Path.Combine(home, ".ssh"));
            File.WriteAllText(Path.Combine(home, ".ssh", "id_key"), "");
            var paths = new SandboxPaths([Path.GetDirectoryName(home)!], [home]);

            var binds = paths.Binds([home, Path.Combine(home, "probe.py"), Path.Combine(home, ".bashrc"), Path.Combine(home, ".ssh", "id_key"),
                Path.Combine(home, "alice"), "/", "/proc/1/root"]);

            Assert.Equal([Path.Combine(home, "probe.py"), Path.Combine(home, "alice")], binds);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void Binds_ALinkToADotFolder_IsJudgedWhereItLeads()
    {
        var home = Directory.CreateTempSubdirectory("torrentlab-paths-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(home, ".ssh"));
            Directory.CreateDirectory(Path.Combine(home, "alice"));
            Directory.CreateSymbolicLink(Path.Combine(home, "alice", "keys"), Path.Combine(home, ".ssh"));
            var paths = new SandboxPaths([Path.GetDirectoryName(home)!], [home]);

            Assert.Empty(paths.Binds([Path.Combine(home, "alice", "keys")]));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
