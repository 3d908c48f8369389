using TorrentLab.Client;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Web;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Client;

/// <summary>How another client's data is taken (<see cref="TorrentClient.AdoptFilesAsync"/>), and the list lock of an import.</summary>
public class TorrentClientAdoptTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // 8 pieces of 16 KiB in one file.
    private static readonly TestTorrents.Built Built = TestTorrents.SingleFile(8 * 16 * 1024, 16 * 1024, "adopt.bin", announce: null, seed: 5);

    private static Bitfield Pieces(params int[] indexes)
    {
        var field = new Bitfield(8);
        foreach (var i in indexes) field.Set(i);
        return field;
    }

    [Fact]
    public async Task AdoptFiles_WholeClaimAtFullSize_IsRecordedCompleteWithoutHashing()
    {
        using var temp = new TempFolder("torrentlab-adopt");
        File.WriteAllBytes(temp.Combine("adopt.bin"), new byte[Built.Payload.Length].Select(_ => (byte)0x5A).ToArray()); // right size, wrong bytes

        var report = await TorrentClient.AdoptFilesAsync(Built.Torrent, temp.Path, Bitfield.Full(8), null, recheck: false, Ct);

        Assert.Equal(AdoptedData.CompleteNotHashed, report.Kind);
        Assert.Equal(8, TorrentClient.ReadLedger(Built.Torrent, temp.Path).Pieces.CountOf(TorrentLab.Downloads.PieceState.Verified)); // a hash would have found none
    }

    [Fact]
    public async Task AdoptFiles_PartialClaim_HashesOnlyTheClaimedPieces()
    {
        using var temp = new TempFolder("torrentlab-adopt");
        File.WriteAllBytes(temp.Combine("adopt.bin"), Built.Payload); // every piece good on disk

        var report = await TorrentClient.AdoptFilesAsync(Built.Torrent, temp.Path, Pieces(0, 1, 5), null, recheck: false, Ct);

        Assert.Equal(AdoptedData.ClaimedPiecesHashed, report.Kind);
        Assert.Equal([0, 1, 5], Enumerable.Range(0, 8).Where(i => report.Have[i]));
    }

    [Fact]
    public async Task AdoptFiles_FileOfAnotherSize_RecordsNothingForTheStartToCheck()
    {
        using var temp = new TempFolder("torrentlab-adopt");
        File.WriteAllBytes(temp.Combine("adopt.bin"), Built.Payload[..50_000]);

        var report = await TorrentClient.AdoptFilesAsync(Built.Torrent, temp.Path, Bitfield.Full(8), null, recheck: false, Ct);

        Assert.Equal(AdoptedData.NeedsCheck, report.Kind);
        Assert.Equal(0, TorrentClient.ReadLedger(Built.Torrent, temp.Path).Pieces.CountOf(TorrentLab.Downloads.PieceState.Verified));
    }

    [Fact]
    public async Task AdoptFiles_Recheck_HashesEveryPieceWhateverTheClaim()
    {
        using var temp = new TempFolder("torrentlab-adopt");
        File.WriteAllBytes(temp.Combine("adopt.bin"), Built.Payload);

        var report = await TorrentClient.AdoptFilesAsync(Built.Torrent, temp.Path, Pieces(0), null, recheck: true, Ct);

        Assert.Equal(AdoptedData.Hashed, report.Kind);
        Assert.Equal(8, report.Have.Count);
    }

    [Fact]
    public async Task IntoList_WhileAServeHoldsTheList_IsRefusedAndWritesNothing()
    {
        using var temp = new TempFolder("torrentlab-adopt");
        var backup = temp.Combine("BT_backup");
        Directory.CreateDirectory(backup);
        File.WriteAllBytes(Path.Combine(backup, "x.fastresume"), "d9:save_path1:/e"u8.ToArray());
        using var held = ServeListLock.Take(temp.Combine("downloads"));

        await Assert.ThrowsAsync<ListInUseException>(() => ClientImport.IntoListAsync(ClientKind.QBittorrent, backup, temp.Combine("downloads"), false, ct: Ct));

        Assert.NotNull(held);
        Assert.False(File.Exists(Path.Combine(temp.Combine("downloads"), ".torrentlab", "web", "torrents.json")));
    }
}
