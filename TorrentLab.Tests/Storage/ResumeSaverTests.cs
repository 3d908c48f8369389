using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Storage;

public class ResumeSaverTests
{
    private static readonly TestTorrents.Built Built = TestTorrents.SingleFile(length: 50_000, pieceLength: 16 * 1024);

    [Fact]
    public async Task Saver_WhereTheBootIsUnknown_EveryIntervalAndOnDispose_FlushesThenSavesWhatChanged()
    {
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        var clock = new ManualClock();
        var storage = new FakePieceStorage();
        var have = new Bitfield(Built.Torrent.PieceCount);
        var ledger = new ResumeLedger(Built.Torrent, temp.Path) { BootId = null };
        var saver = new ResumeSaver(ledger, storage, () => Bitfield.FromWire(have.ToBytes(), have.Length), TimeSpan.FromSeconds(5), clock);

        have.Set(1);
        clock.Advance(TimeSpan.FromSeconds(5));
        await WaitFor(() => saver.Saves == 1);
        Assert.Equal(have.ToBytes(), ledger.Validate().Trusted!.ToBytes());

        clock.Advance(TimeSpan.FromSeconds(5)); // nothing changed: no rewrite
        have.Set(2);
        await saver.DisposeAsync();             // the final save on completion or cancel

        Assert.Equal(2, saver.Saves);
        Assert.Equal(have.ToBytes(), ledger.Validate().Trusted!.ToBytes());
        Assert.Equal(2, storage.Flushes);
        Assert.True(new ResumeLedger(Built.Torrent, temp.Path) { BootId = "after a restart" }.Validate().IsTrusted);
    }

    [Fact]
    public async Task Saver_WhereTheBootIsKnown_SavesWithoutFlushing_TheLedgerHoldsWithinThatBootOnly()
    {
        using var temp = new TempFolder();
        Built.WritePayload(temp.Path);
        var clock = new ManualClock();
        var storage = new FakePieceStorage { FlushFailure = new InvalidOperationException("flushed although the boot is known") };
        var have = new Bitfield(Built.Torrent.PieceCount);
        var ledger = new ResumeLedger(Built.Torrent, temp.Path) { BootId = "boot-1" };
        var saver = new ResumeSaver(ledger, storage, () => Bitfield.FromWire(have.ToBytes(), have.Length), TimeSpan.FromSeconds(5), clock);

        have.Set(1);
        clock.Advance(TimeSpan.FromSeconds(5));
        await WaitFor(() => saver.Saves == 1);
        have.Set(2);
        await saver.DisposeAsync();

        Assert.Equal(2, saver.Saves);
        Assert.Equal(0, storage.Flushes);
        Assert.Null(saver.LastError);
        Assert.Equal(have.ToBytes(), ledger.Validate().Trusted!.ToBytes());
        var afterRestart = new ResumeLedger(Built.Torrent, temp.Path) { BootId = "boot-2" }.Validate();
        Assert.False(afterRestart.IsTrusted);
        Assert.Contains("restarted", afterRestart.Reason);
    }

    [Fact]
    public async Task SaveNowAsync_FlushFailsWithDiskFull_WritesNoLedgerAndReportsOutOfSpace()
    {
        using var temp = new TempFolder();
        var storage = new FakePieceStorage
        {
            FlushFailure = new StorageException("no space left on device flushing 'payload.bin'", isOutOfSpace: true),
        };
        var ledger = new ResumeLedger(Built.Torrent, temp.Path) { BootId = null }; // the saver flushes before saving
        await using var saver = new ResumeSaver(ledger, storage, () => Bitfield.Full(Built.Torrent.PieceCount), clock: new ManualClock());

        var e = await Assert.ThrowsAsync<StorageException>(() => saver.SaveNowAsync(cancellation: TestContext.Current.CancellationToken));

        Assert.True(e.IsOutOfSpace);
        Assert.False(File.Exists(ledger.FilePath));
        storage.FlushFailure = null; // let the final save in DisposeAsync succeed
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        // The timer callback completes the saver's await on the thread pool; give it a bounded moment.
        Assert.True(await Wait.UntilAsync(condition, TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }
}
