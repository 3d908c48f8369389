using TorrentLab.Downloads;

namespace TorrentLab.Client;

/// <summary>Hears a <see cref="TorrentRun"/>: its progress reports, and once how it ended.</summary>
public interface ITorrentRunObserver : IProgress<DownloadProgress>
{
    /// <summary>The run is over (its peers gone, its ledger saved): completed, stopped or failed.</summary>
    void Ended(TorrentRunEnd end);
}

/// <summary>How a <see cref="TorrentRun"/> ended.</summary>
/// <param name="Result">What it did, when it completed (a seeding run that was stopped completes too); null when it
/// failed, or was stopped before it had everything it wanted.</param>
/// <param name="Error">Why it failed, or null.</param>
/// <param name="Stopped">True when <see cref="TorrentRun.StopAsync"/> was asked before it ended.</param>
public sealed record TorrentRunEnd(DownloadResult? Result, Exception? Error, bool Stopped);
