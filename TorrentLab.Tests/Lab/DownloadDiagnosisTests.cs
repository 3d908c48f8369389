using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Lab;

/// <summary>The hints a download stopped at its time limit gets from the wire trace: what the program received and did
/// not act on, rather than only the timeout text.</summary>
public class DownloadDiagnosisTests
{
    private const string A = "127.0.0.1:40001";
    private const string B = "127.0.0.1:40002";

    private static LabTorrent Torrent(TempFolder temp) => LabTorrent.Generate(new Random(3), temp.Path, "http://127.0.0.1:1/announce", 3, 3);

    [Fact]
    public void Unheeded_AHaveForThePieceNeverFollowedByARequest_NamesThePeerAndThePiece()
    {
        using var temp = new TempFolder();
        string[] trace = [$"peer {A} -> bitfield bytes=1 set=2", $"peer {A} <- interested", $"peer {A} -> unchoke", $"peer {B} <- request index=1 begin=0 len=16384", $"peer {A} -> have index=1"];

        var hint = DownloadDiagnosis.Unheeded(Torrent(temp), 1, trace);

        Assert.Contains($"peer {A} sent 'have' for piece 1", hint);
    }

    [Fact]
    public void Unheeded_AHaveAnsweredByARequest_IsNotBlamed()
    {
        using var temp = new TempFolder();
        string[] trace = [$"peer {A} -> have index=1", $"peer {A} <- request index=1 begin=0 len=16384"];

        Assert.Null(DownloadDiagnosis.Unheeded(Torrent(temp), 1, trace));
    }

    [Fact]
    public void Unheeded_APieceLayerFollowedByNoRequest_SaysTheLayerArrived()
    {
        using var temp = new TempFolder();
        string[] trace = [$"peer {A} <- hash request root=ab.. base=0 index=0 len=4 proof=0", $"peer {A} -> hashes root=ab.. base=0 index=0 len=4 proof=0 hashes=4"];

        var hint = DownloadDiagnosis.Unheeded(Torrent(temp), 1, trace);

        Assert.Contains($"the piece layer you asked for arrived (hashes, message 22, from peer {A})", hint);
    }

    [Fact]
    public void Unheeded_EveryBlockOfThePieceSent_SaysTheProgramWentOnWaiting()
    {
        using var temp = new TempFolder();
        var torrent = Torrent(temp);
        var length = torrent.Piece(0).Length;
        var trace = Enumerable.Range(0, (length + 16383) / 16384).Select(b => $"peer {A} -> piece index=0 begin={b * 16384} len=16384").ToList();

        Assert.Contains("every block of piece 0 arrived", DownloadDiagnosis.Unheeded(torrent, 0, trace));
        Assert.Null(DownloadDiagnosis.Unheeded(torrent, 0, trace.Skip(1).ToList()));   // one block short: nothing to name
    }
}
