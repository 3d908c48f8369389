using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Storage;

public class ResumeLedgerTests
{
    private static readonly TestTorrents.Built Built =
        TestTorrents.MultiFile([("a.bin", 40_000), ("b.bin", 30_000)], pieceLength: 16 * 1024, name: "folder");

    private static Bitfield Some()
    {
        var have = new Bitfield(Built.Torrent.PieceCount);
        have.Set(0);
        have.Set(3);
        return have;
    }

    private static ResumeLedger Saved(TempFolder temp)
    {
        Built.WritePayload(temp.Path);
        var ledger = new ResumeLedger(Built.Torrent, temp.Path);
        ledger.Save(Some());
        return ledger;
    }

    [Fact]
    public void SaveThenValidate_UnchangedFiles_TrustsTheSamePieces()
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);

        var check = new ResumeLedger(Built.Torrent, temp.Path).Validate();

        Assert.True(check.IsTrusted, check.Reason);
        Assert.Equal(Some().ToBytes(), check.Trusted!.ToBytes());
        Assert.Equal(temp.Combine(".torrentlab", Built.Torrent.InfoHash.Hex + ".json"), ledger.FilePath);
    }

    [Fact]
    public void Validate_TwoFoldersWithTheSameCounts_ShareOneReasonText()
    {
        // The reason stays in each seeding torrent's log: ten thousand torrents keep one copy of it, not one each.
        using var first = new TempFolder();
        using var second = new TempFolder();
        Saved(first);
        Saved(second);

        var a = new ResumeLedger(Built.Torrent, first.Path).Validate();
        var b = new ResumeLedger(Built.Torrent, second.Path).Validate();

        Assert.Equal($"resume ledger trusted: 2 of {Built.Torrent.PieceCount} pieces", a.Reason);
        Assert.Same(a.Reason, b.Reason);
    }

    [Fact]
    public void AnInstance_SeesWhatAnotherWriterSavedSinceItsLastQuestion()
    {
        // A caller that holds one ledger to watch a download (its process killed and started again) reads the file anew.
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        var watcher = new ResumeLedger(Built.Torrent, temp.Path);
        Assert.Equal("no resume ledger", watcher.Validate().Reason);

        new ResumeLedger(Built.Torrent, temp.Path).Save(Some());

        Assert.True(watcher.Validate().IsTrusted);
    }

    [Fact]
    public void AReadOnceInstance_AfterItsOwnSaveAndDelete_ReadsWhatIsOnDiskNow()
    {
        // A start's instance reads the file once for its questions; its own save and delete are what change the answers.
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        var ledger = new ResumeLedger(new StorageLayout(Built.Torrent, temp.Path)) { ReadsOnce = true };
        Assert.Equal("no resume ledger", ledger.Validate().Reason);

        ledger.Save(Some());
        var saved = ledger.Validate();
        Assert.True(saved.IsTrusted, saved.Reason);
        Assert.Equal(Some().ToBytes(), saved.Trusted!.ToBytes());
        Assert.Equal(["folder/a.bin", "folder/b.bin"], ledger.RecordedFiles().Order(StringComparer.Ordinal));

        Assert.True(ledger.Delete());
        Assert.Equal("no resume ledger", ledger.Validate().Reason);
        Assert.Empty(ledger.RecordedFiles());
    }

    [Fact]
    public void Save_WritesTheDocumentedJsonAndLeavesNoTemporaryFile()
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);

        Assert.Equal([Path.GetFileName(ledger.FilePath)], Directory.GetFiles(temp.Combine(".torrentlab")).Select(Path.GetFileName));
        var json = File.ReadAllText(ledger.FilePath);
        Assert.Contains("\"version\": 1", json);
        Assert.Contains($"\"infoHash\": \"{Built.Torrent.InfoHash.Hex}\"", json);
        Assert.Contains("\"pieceLength\": 16384", json);
        Assert.Contains($"\"pieces\": \"{Convert.ToBase64String(Some().ToBytes())}\"", json);
        Assert.Contains("\"path\": \"folder/a.bin\"", json);
    }

    [Fact]
    public void Save_WhenTheWriteFails_KeepsTheOldLedgerIntact()
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);
        var before = File.ReadAllText(ledger.FilePath);
        Directory.CreateDirectory(ledger.FilePath + ".tmp"); // the temporary file cannot be created

        Assert.Throws<StorageException>(() => ledger.Save(Bitfield.Full(Built.Torrent.PieceCount)));

        Assert.Equal(before, File.ReadAllText(ledger.FilePath));
        Assert.True(new ResumeLedger(Built.Torrent, temp.Path).Validate().IsTrusted);
    }

    [Fact]
    public void Save_StaleTemporaryFileFromACrash_IsReplaced()
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);
        File.WriteAllText(ledger.FilePath + ".tmp", "{ half a ledg");
        ledger.Save(Some());
        Assert.False(File.Exists(ledger.FilePath + ".tmp"));
        Assert.True(ledger.Validate().IsTrusted);
    }

    [Fact]
    public void Save_StateFolderIsASymlinkOutside_IsRefused()
    {
        using var temp = new TempFolder();
        using var outside = new TempFolder();
        Built.WritePayload(temp.Path);
        Directory.CreateSymbolicLink(temp.Combine(".torrentlab"), outside.Path);
        Assert.Throws<StorageException>(() => new ResumeLedger(Built.Torrent, temp.Path).Save(Some()));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
    }

    [Theory]
    [InlineData(true)]  // a symbolic link to the decoy put in the folder's place
    [InlineData(false)] // another real folder put in its place
    public void Save_OutputFolderMovedAndReplacedDuringTheDownload_IsRefused_TheDecoyIsNeverTrusted(bool byLink)
    {
        using var temp = new TempFolder();
        var output = temp.Combine("out");
        Built.WritePayload(output);
        var ledger = new ResumeLedger(Built.Torrent, output);   // the download begins: the folder it began in
        ledger.Save(Some());
        var decoy = temp.Combine("decoy");
        Built.WritePayload(decoy);

        Directory.Move(output, temp.Combine("moved"));
        if (byLink) Directory.CreateSymbolicLink(output, decoy);
        else Directory.Move(decoy, output);
        var e = Assert.Throws<StorageException>(() => ledger.Save(Bitfield.Full(Built.Torrent.PieceCount)));

        Assert.Contains("is no longer the folder this download started in", e.Message);
        Assert.False(new ResumeLedger(Built.Torrent, output).Validate().IsTrusted);
        Assert.True(new ResumeLedger(Built.Torrent, temp.Combine("moved")).Validate().IsTrusted);   // the real one is intact
    }

    [Fact]
    public void SwapDuringAWrite_WhatWeWroteThroughTheLinkIsRemoved_WhatWasThereIsKept()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "inodes are read with statx(2), on Linux only");
        using var temp = new TempFolder();
        var output = temp.Combine("out");
        Built.WritePayload(output);
        var layout = new StorageLayout(Built.Torrent, output);   // the folder the download began in
        var decoy = temp.Combine("decoy");
        Directory.CreateDirectory(decoy);
        File.WriteAllText(Path.Combine(decoy, "theirs"), "not ours");

        // The check before the write passed; the swap lands; the write goes through the link into the decoy.
        layout.CheckSameRoot("test");
        Directory.Move(output, temp.Combine("moved"));
        Directory.CreateSymbolicLink(output, decoy);
        var ours = Path.Combine(output, "ours");
        File.WriteAllText(ours, "written by the download");

        var e = Assert.Throws<StorageException>(() => layout.CheckSameRootAfter(ours, FolderIdentity.NodeOf(ours), "test"));
        Assert.Contains("is no longer the folder this download started in", e.Message);
        Assert.False(File.Exists(Path.Combine(decoy, "ours")));
        // A file that was there before is never removed, even when asked about by name.
        var theirs = Path.Combine(output, "theirs");
        Assert.Throws<StorageException>(() => layout.CheckSameRootAfter(theirs, (0, 0), "test"));
        Assert.Equal("not ours", File.ReadAllText(Path.Combine(decoy, "theirs")));
    }

    [Fact]
    public void Save_OutputFolderCreatedAfterTheLedger_IsTheOneLaterSavesKeepTo()
    {
        using var temp = new TempFolder();
        var output = temp.Combine("later");
        var ledger = new ResumeLedger(Built.Torrent, output);   // the folder does not exist yet
        Built.WritePayload(output);

        ledger.Save(Some());
        ledger.Save(Some());

        Assert.True(new ResumeLedger(Built.Torrent, output).Validate().IsTrusted);
    }

    [Fact]
    public void Validate_NoLedger_IsNotTrusted()
    {
        using var temp = new TempFolder();
        var check = new ResumeLedger(Built.Torrent, temp.Path).Validate();
        Assert.False(check.IsTrusted);
        Assert.Equal("no resume ledger", check.Reason);
    }

    [Fact]
    public void Validate_LedgerOfAnotherTorrent_IsNotTrusted()
    {
        using var temp = new TempFolder();
        var other = TestTorrents.MultiFile([("a.bin", 40_000), ("b.bin", 30_000)], pieceLength: 16 * 1024, name: "folder", seed: 9);
        var otherLedger = new ResumeLedger(other.Torrent, temp.Path);
        otherLedger.Save(Bitfield.Full(other.Torrent.PieceCount));
        var ours = new ResumeLedger(Built.Torrent, temp.Path);
        File.Copy(otherLedger.FilePath, ours.FilePath); // e.g. renamed by hand

        var check = ours.Validate();

        Assert.False(check.IsTrusted);
        Assert.Contains("another torrent", check.Reason);
    }

    [Theory]
    [InlineData("{ not json", "corrupt")]
    [InlineData("", "corrupt")]
    [InlineData("null", "corrupt")]
    [InlineData("{\"version\": 1}", "corrupt")]
    public void Validate_CorruptLedger_IsNotTrusted(string content, string reason)
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);
        File.WriteAllText(ledger.FilePath, content);
        var check = ledger.Validate();
        Assert.False(check.IsTrusted);
        Assert.Contains(reason, check.Reason);
    }

    [Theory]
    [InlineData("\"version\": 1", "\"version\": 2", "format version 2")]
    [InlineData("\"pieceLength\": 16384", "\"pieceLength\": 32768", "pieces of 32768 bytes")]
    [InlineData("\"pieces\": \"", "\"pieces\": \"!!", "piece list is corrupt")]
    public void Validate_LedgerEditedToNotMatch_IsNotTrusted(string find, string replace, string reason)
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);
        var json = File.ReadAllText(ledger.FilePath);
        Assert.Contains(find, json);
        File.WriteAllText(ledger.FilePath, json.Replace(find, replace));
        var check = ledger.Validate();
        Assert.False(check.IsTrusted);
        Assert.Contains(reason, check.Reason);
    }

    [Fact]
    public void Validate_FileResized_IsNotTrusted()
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);
        File.AppendAllText(temp.Combine("folder", "b.bin"), "x");
        Assert.Contains("'folder/b.bin' is 30001 bytes", ledger.Validate().Reason);
    }

    [Fact]
    public void Validate_FileModifiedSameSize_IsNotTrusted()
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);
        File.SetLastWriteTimeUtc(temp.Combine("folder", "a.bin"), DateTime.UtcNow.AddMinutes(1));
        var check = ledger.Validate();
        Assert.False(check.IsTrusted);
        Assert.Contains("'folder/a.bin' was modified", check.Reason);
    }

    [Fact]
    public void Validate_FileDeleted_IsNotTrusted()
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);
        File.Delete(temp.Combine("folder", "a.bin"));
        Assert.Contains("'folder/a.bin' is missing", ledger.Validate().Reason);
    }

    [Fact]
    public void Delete_ForNoResume_RemovesTheLedger()
    {
        using var temp = new TempFolder();
        var ledger = Saved(temp);
        Assert.True(ledger.Delete());
        Assert.False(File.Exists(ledger.FilePath));
        Assert.False(ledger.Delete());
        Assert.False(ledger.Validate().IsTrusted);
    }

    [Fact]
    public void Validate_UnflushedLedgerAfterARestart_IsNotTrustedButWithinItsBootItIs()
    {
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        new ResumeLedger(Built.Torrent, temp.Path) { BootId = "boot-1" }.Save(Some());

        var sameBoot = new ResumeLedger(Built.Torrent, temp.Path) { BootId = "boot-1" }.Validate();
        var nextBoot = new ResumeLedger(Built.Torrent, temp.Path) { BootId = "boot-2" }.Validate();
        var bootUnknown = new ResumeLedger(Built.Torrent, temp.Path) { BootId = null }.Validate();

        Assert.True(sameBoot.IsTrusted, sameBoot.Reason);
        Assert.Equal(Some().ToBytes(), sameBoot.Trusted!.ToBytes());
        Assert.False(nextBoot.IsTrusted);
        Assert.Contains("the machine has restarted since the resume ledger was saved", nextBoot.Reason);
        Assert.False(bootUnknown.IsTrusted);
        Assert.Contains("\"unflushedBoot\": \"boot-1\"", File.ReadAllText(ResumeLedger.PathFor(temp.Path, Built.Torrent.InfoHash)));
    }

    [Fact]
    public void Validate_FlushedLedgerAfterARestart_IsTrustedAndRecordsNoBoot()
    {
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        new ResumeLedger(Built.Torrent, temp.Path) { BootId = "boot-1" }.Save(Some(), flushed: true);

        var nextBoot = new ResumeLedger(Built.Torrent, temp.Path) { BootId = "boot-2" }.Validate();

        Assert.True(nextBoot.IsTrusted, nextBoot.Reason);
        Assert.Equal(Some().ToBytes(), nextBoot.Trusted!.ToBytes());
        Assert.Contains("\"unflushedBoot\": null", File.ReadAllText(ResumeLedger.PathFor(temp.Path, Built.Torrent.InfoHash)));
    }

    [Fact]
    public void Validate_LedgerOfAnOlderFormatWithoutBoot_IsTrustedAfterARestart()
    {
        // Ledgers written before the boot was recorded were always saved after a flush.
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        new ResumeLedger(Built.Torrent, temp.Path) { BootId = null }.Save(Some());

        var check = new ResumeLedger(Built.Torrent, temp.Path) { BootId = "boot-2" }.Validate();

        Assert.True(check.IsTrusted, check.Reason);
    }
}
