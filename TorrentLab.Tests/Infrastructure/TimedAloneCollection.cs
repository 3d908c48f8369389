namespace TorrentLab.Tests.Infrastructure;

/// <summary>Tests whose assertion is a ratio of two timings on this machine (our seed against libtorrent's): they run one
/// at a time, after the rest of the suite, with nothing of it beside them. Beside it, a burst of other tests lands on one
/// side of a comparison and not the other: two CI runs of the two-downloader seed test read rounds of 0.86-1.91 and
/// 1.02-1.71 (medians 1.08 and 1.30 against a bound of 1.2), where beside only two busy loops it read 1.06-1.12.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedAloneCollection
{
    public const string Name = "timed alone";
}
