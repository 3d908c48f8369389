namespace TorrentLab.Simulation;

/// <summary>The one-way delay between two hosts where it is not the sum of their access links' latencies.</summary>
internal interface IPathDelay
{
    /// <summary>The delay from <paramref name="from"/> to <paramref name="to"/>, or null to use both links' latencies.</summary>
    TimeSpan? OneWay(SimHost from, SimHost to);
}
