namespace TorrentLab.Lab;

/// <summary>How <c>torrentlab lab check</c> runs: which stages, which seed, which extras.</summary>
public sealed record LabCheckOptions
{
    /// <summary>The seed of every generated input; the same seed gives the same inputs (the report prints it).</summary>
    public required int Seed { get; init; }

    /// <summary>Check only this stage.</summary>
    public string? Stage { get; init; }

    /// <summary>Check the stages from the first through this one.</summary>
    public string? Through { get; init; }

    /// <summary>Add harder peers in the peer stages: one that chokes mid-piece, one that corrupts a block, a slow one.</summary>
    public bool Faults { get; init; }

    /// <summary>Show the wire trace (what the synthetic peers received and sent) of a failing peer stage.</summary>
    public bool Trace { get; init; }

    /// <summary>Go on after a failing stage instead of stopping there.</summary>
    public bool KeepGoing { get; init; }

    /// <summary>Caps every stage's time limit (tests use it to bound runs of programs that hang); null keeps the stages' own.</summary>
    public TimeSpan? MaxTimeLimit { get; init; }

    /// <summary>A fresh seed for a run that was not given one.</summary>
    public static int NewSeed() => Random.Shared.Next(1, 1_000_000);
}
