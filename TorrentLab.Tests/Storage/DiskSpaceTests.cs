using TorrentLab.Bencode;
using TorrentLab.Metainfo;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Storage;

/// <summary>The free-space check that runs before any file of a download is created.</summary>
public class DiskSpaceTests
{
    private const int Piece = 16384;

    [Fact]
    public void Open_TorrentLargerThanTheWholeFilesystem_IsRefusedBeforeCreatingAnything()
    {
        using var temp = new TempFolder();
        const long length = 1L << 45; // 32 TiB in pieces of 256 MiB: 131,072 hashes
        var fsSize = new DriveInfo(temp.Path).TotalSize;
        if (fsSize >= length) Assert.Skip($"the filesystem holding {temp.Path} is {fsSize} bytes: larger than the test torrent");
        var info = new BDictionary();
        info.Set("length", new BInteger(length));
        info.Set("name", new BString("huge.bin"));
        info.Set("piece length", new BInteger(1 << 28));
        info.Set("pieces", new BString(new byte[(int)(length >> 28) * 20]));
        var torrent = Torrent.ParseInfo(BencodeWriter.Encode(info));

        var e = Assert.Throws<StorageException>(() => FileStorage.Open(torrent, temp.Path));

        Assert.True(e.IsOutOfSpace);
        Assert.Contains($"the torrent needs {length} more bytes but only", e.Message);
        Assert.False(File.Exists(temp.Combine("huge.bin")));
    }

    [Fact]
    public void Open_MoreThanTheFreeSpaceButLessThanTheFilesystem_IsRefusedBeforeCreatingAnything()
    {
        using var temp = new TempFolder();
        using var disk = Tmpfs.Mount(temp.Combine("disk"), "1m");
        disk.Fill("filler", 512 * 1024); // half the filesystem: 512 KiB stay free
        var built = TestTorrents.SingleFile(length: 48 * Piece, pieceLength: Piece, name: "big.bin", seed: 3); // 768 KiB

        var e = Assert.Throws<StorageException>(() => FileStorage.Open(new StorageLayout(built.Torrent, disk.Path), have: new Bitfield(48)));

        Assert.True(e.IsOutOfSpace);
        Assert.StartsWith($"the torrent needs {48 * Piece} more bytes but only ", e.Message);
        Assert.Contains("are free on the filesystem holding", e.Message);
        Assert.False(File.Exists(Path.Combine(disk.Path, "big.bin")));
    }

    [Fact]
    public void EnsureCanFit_OnResume_CountsOnlyThePiecesNotYetOnDisk()
    {
        using var temp = new TempFolder();
        using var disk = Tmpfs.Mount(temp.Combine("disk"), "2m");
        disk.Fill("filler", 1536 * 1024); // 512 KiB stay free
        var built = TestTorrents.SingleFile(length: 64 * Piece, pieceLength: Piece, name: "big.bin", seed: 4); // 1 MiB
        var layout = new StorageLayout(built.Torrent, disk.Path);
        var threeQuarters = new Bitfield(64);
        for (var i = 0; i < 48; i++) threeQuarters.Set(i);

        var fresh = Assert.Throws<StorageException>(() => DiskSpace.EnsureCanFit(layout, new Bitfield(64)));
        DiskSpace.EnsureCanFit(layout, threeQuarters); // 256 KiB still to write: fits

        Assert.True(fresh.IsOutOfSpace);
        Assert.StartsWith($"the torrent needs {64 * Piece} more bytes", fresh.Message);
    }

    [Fact]
    public void EnsureCanFit_PaddingFilesNeedNoSpace()
    {
        using var temp = new TempFolder();
        using var disk = Tmpfs.Mount(temp.Combine("disk"), "1m");
        disk.Fill("filler", 512 * 1024);
        // 256 KiB of data and a 1 MiB padding file (BEP 47): padding is never written, so this fits in 512 KiB.
        var pad = FileEntry("pad", 1024 * 1024);
        pad.Set("attr", new BString("p"));
        var info = new BDictionary();
        info.Set("files", new BList([FileEntry("a.bin", 256 * 1024), pad]));
        info.Set("name", new BString("padded"));
        info.Set("piece length", new BInteger(Piece));
        info.Set("pieces", new BString(new byte[(256 + 1024) / 16 * 20]));
        var torrent = Torrent.ParseInfo(BencodeWriter.Encode(info));

        DiskSpace.EnsureCanFit(new StorageLayout(torrent, disk.Path), new Bitfield(torrent.PieceCount));
    }

    private static BDictionary FileEntry(string name, long length)
    {
        var file = new BDictionary();
        file.Set("length", new BInteger(length));
        file.Set("path", new BList([new BString(name)]));
        return file;
    }
}
