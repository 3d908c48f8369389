using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The server gives freed memory back once after a burst of work, not on every change.</summary>
public class MemorySettlerTests
{
    [Fact]
    public void Poke_ABurstOfWork_SettlesOnceWhenItHasBeenQuietLongEnough()
    {
        var clock = new ManualClock();
        var settled = 0;
        using var settler = new MemorySettler(clock, () => settled++);

        for (var i = 0; i < 5; i++)
        {
            settler.Poke();
            clock.Advance(MemorySettler.Quiet / 2); // work goes on: each poke puts the settling off
        }
        Assert.Equal(0, settled);

        clock.Advance(MemorySettler.Quiet / 2);
        Assert.Equal(1, settled);

        clock.Advance(MemorySettler.Quiet * 10); // idle: nothing more to give back
        Assert.Equal(1, settled);

        settler.Poke();
        clock.Advance(MemorySettler.Quiet);
        Assert.Equal(2, settled);
    }

    [Fact]
    public void Settle_OnLinuxWithGlibc_AsksTheCHeapToo()
    {
        var glibc = OperatingSystem.IsLinux() && File.Exists("/usr/bin/ldd") && !File.Exists("/lib/ld-musl-x86_64.so.1");
        Assert.Equal(glibc, MemorySettler.Settle());
    }
}
