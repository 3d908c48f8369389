using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Storage;

public class MachineBootTests
{
    [Fact]
    public void Read_TrimsTheIdAndGivesNullForMissingOrEmpty()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.Combine("id"), " 0b6c4f2e-1d3a-4b5c-9e8f-7a6b5c4d3e2f\n");
        File.WriteAllText(temp.Combine("empty"), "\n");

        Assert.Equal("0b6c4f2e-1d3a-4b5c-9e8f-7a6b5c4d3e2f", MachineBoot.Read(temp.Combine("id")));
        Assert.Null(MachineBoot.Read(temp.Combine("empty")));
        Assert.Null(MachineBoot.Read(temp.Combine("missing")));
        Assert.Null(MachineBoot.Read(temp.Combine("no-folder", "id")));
    }

    [Fact]
    public void Id_OnLinux_IsTheKernelsBootIdAndStaysTheSame()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("the boot id is read from Linux's /proc");
        var id = MachineBoot.Id;
        Assert.NotNull(id);
        Assert.True(Guid.TryParse(id, out _), id);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), id);
    }
}
