using TorrentLab.Downloads;

namespace TorrentLab.Client;

/// <summary>Hears a <see cref="TorrentRun"/>: its progress reports, and once how it ended (a torrent's
/// <see cref="TorrentHandle"/> is the one observer).</summary>
internal interface ITorrentRunObserver
{
    /// <summary>A progress report of the run, on the engine's thread.</summary>
    void Report(DownloadProgress value);

    /// <summary>The run is over (its peers gone, its ledger saved): completed, stopped or failed.</summary>
    void Ended(TorrentRunEnd end);
}

/// <summary>How a <see cref="TorrentRun"/> ended.</summary>
/// <param name="Result">What it did, when it completed (a seeding run that was stopped completes too); null when it
/// failed, or was stopped before it had everything it wanted.</param>
/// <param name="Error">Why it failed, or null.</param>
/// <param name="Stopped">True when <see cref="TorrentRun.StopAsync"/> was asked before it ended.</param>
internal sealed record TorrentRunEnd(DownloadResult? Result, Exception? Error, bool Stopped);
