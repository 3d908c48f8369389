using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Storage;

public sealed class DirectWriterTests
{
    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The open flags of a descriptor of this process, as the kernel reports them (octal in fdinfo).</summary>
    private static int OpenFlags(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        var line = File.ReadLines($"/proc/self/fdinfo/{handle.DangerousGetHandle()}").First(l => l.StartsWith("flags:"));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }

    [Fact]
    public async Task WriteAsync_AlignedRuns_GoPastThePageCache_AndTheRestIsWrittenPlainly()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("O_DIRECT is Linux's");
        using var temp = new TempFolder();
        var path = temp.Combine("f.bin");
        var ct = TestContext.Current.CancellationToken;
        // From an aligned offset: two 1 MiB runs go direct, the 512 KiB and 1,234 bytes after them (shorter than a run)
        // plainly; then a write at an unaligned offset goes plainly throughout.
        var data = RandomBytes(DirectWriter.RunLength * 5 / 2 + 1_234);
        var head = RandomBytes(100);
        var expected = new byte[3 * DirectWriter.RunLength];
        data.CopyTo(expected, DirectWriter.Alignment);
        head.CopyTo(expected, 1);
        using (var file = (RandomAccessFile)RandomAccessFile.Open(path, writable: true))
        {
            file.SetLength(expected.Length);
            await file.WriteAsync(data, DirectWriter.Alignment, ct);
            await file.WriteAsync(head, 1, ct);
            var direct = file.Direct();
            if (direct is null) Assert.Skip($"the file system holding {temp.Path} refuses O_DIRECT");

            Assert.False(direct.Refused);
            Assert.Equal(2 * DirectWriter.RunLength, direct.BytesWritten);
            Assert.Equal(DirectWriter.DirectFlag(), OpenFlags(direct.Handle) & DirectWriter.DirectFlag());
        }
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task WriteAsync_WritesShorterThanARun_NeverOpenTheDirectWriter()
    {
        using var temp = new TempFolder();
        var path = temp.Combine("f.bin");
        var ct = TestContext.Current.CancellationToken;
        var data = RandomBytes(DirectWriter.RunLength);
        var opened = 0;
        using (var file = new RandomAccessFile(File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite),
                   _ => { opened++; return null; }))
        {
            // 256 KiB pieces, aligned: written plainly without a second descriptor for the file.
            for (var offset = 0; offset < data.Length; offset += DirectWriter.RunLength / 4)
                await file.WriteAsync(data.AsMemory(offset, DirectWriter.RunLength / 4), offset, ct);
            Assert.Equal(0, opened);
            await file.WriteAsync(data, 0, ct);
            Assert.Equal(1, opened);
        }
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task WriteAsync_DirectWriteRefused_IsWrittenPlainly_AndDirectIsNotTriedAgain()
    {
        using var temp = new TempFolder();
        var path = temp.Combine("f.bin");
        var ct = TestContext.Current.CancellationToken;
        var data = RandomBytes(2 * DirectWriter.RunLength);
        File.WriteAllBytes(path, new byte[data.Length]);
        // A writer whose every write fails, as on a file system that takes the flag but not the writes.
        DirectWriter? refusing = null;
        using (var file = new RandomAccessFile(File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite),
                   _ => refusing = new DirectWriter(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))))
        {
            await file.WriteAsync(data.AsMemory(0, DirectWriter.RunLength), 0, ct);
            Assert.True(refusing!.Refused);
            Assert.Equal(0, refusing.DirectLength(DirectWriter.RunLength, DirectWriter.RunLength));
            await file.WriteAsync(data.AsMemory(DirectWriter.RunLength), DirectWriter.RunLength, ct);
            Assert.Equal(0, refusing.BytesWritten);
        }
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task WriteAsync_PathReplacedByALinkAfterOpening_WritesTheOpenedFile_NotTheLinkTarget()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("O_DIRECT is Linux's");
        using var temp = new TempFolder();
        var path = temp.Combine("f.bin");
        var outside = temp.Combine("outside.bin");
        var ct = TestContext.Current.CancellationToken;
        File.WriteAllBytes(outside, new byte[DirectWriter.RunLength]);
        var data = RandomBytes(DirectWriter.RunLength);
        using (var file = RandomAccessFile.Open(path, writable: true))
        {
            file.SetLength(data.Length);
            // After the path was checked and opened, someone moves the file away and puts a link in its place: the
            // direct handle, opened at the first aligned write, must still be the file that was opened.
            File.Move(path, temp.Combine("moved.bin"));
            File.CreateSymbolicLink(path, outside);
            await file.WriteAsync(data, 0, ct);
            if (((RandomAccessFile)file).Direct() is { } direct) Assert.Equal(DirectWriter.RunLength, direct.BytesWritten);
        }
        Assert.Equal(new byte[DirectWriter.RunLength], File.ReadAllBytes(outside));
        Assert.Equal(data, File.ReadAllBytes(temp.Combine("moved.bin")));
    }
}
