using System.Text.Json;
using TorrentLab.Pieces;
using TorrentLab.Storage;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Pieces;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Storage;

/// <summary>The resume ledger records the file selection (<c>priorities</c>, one digit per file) and gives it back.</summary>
public class ResumeLedgerSelectionTests
{
    private static readonly TestTorrents.Built Built = PieceSelectionTests.Layout;

    private static ResumeLedger Ledger(TempFolder temp, IReadOnlyList<FilePriority>? files) =>
        new(new StorageLayout(Built.Torrent, temp.Path) { Selection = files is null ? null : PieceSelection.For(Built.Torrent, files) });

    [Fact]
    public void SaveThenRecordedPriorities_Selection_RoundTrips()
    {
        using var temp = new TempFolder();
        FilePriority[] files = [FilePriority.Skip, FilePriority.High, FilePriority.Low];
        Ledger(temp, files).Save(new Bitfield(Built.Torrent.PieceCount));

        var recorded = Ledger(temp, null).RecordedPriorities();

        Assert.Equal(files, recorded);
    }

    [Fact]
    public void Save_Selection_WritesOneDigitPerFile()
    {
        using var temp = new TempFolder();
        var ledger = Ledger(temp, [FilePriority.Skip, FilePriority.Normal, FilePriority.High]);

        ledger.Save(new Bitfield(Built.Torrent.PieceCount));

        using var json = JsonDocument.Parse(File.ReadAllText(ledger.FilePath));
        Assert.Equal("023", json.RootElement.GetProperty("priorities").GetString());
    }

    [Fact]
    public void Save_EveryFileNormal_RecordsNoSelection()
    {
        using var temp = new TempFolder();
        var ledger = Ledger(temp, [FilePriority.Normal, FilePriority.Normal, FilePriority.Normal]);

        ledger.Save(new Bitfield(Built.Torrent.PieceCount));

        Assert.Null(Ledger(temp, null).RecordedPriorities());
        Assert.Contains("\"priorities\": null", File.ReadAllText(ledger.FilePath));
    }

    [Theory]
    [InlineData("02")]   // one digit short of the three files
    [InlineData("029")]  // 9 is no priority
    public void RecordedPriorities_MalformedText_IsNull(string text)
    {
        using var temp = new TempFolder();
        var ledger = Ledger(temp, [FilePriority.Skip, FilePriority.Normal, FilePriority.High]);
        ledger.Save(new Bitfield(Built.Torrent.PieceCount));
        File.WriteAllText(ledger.FilePath, File.ReadAllText(ledger.FilePath).Replace("\"023\"", $"\"{text}\"", StringComparison.Ordinal));

        Assert.Null(ledger.RecordedPriorities());
    }
}
