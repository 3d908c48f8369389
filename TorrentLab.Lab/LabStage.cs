namespace TorrentLab.Lab;

/// <summary>Checks one stage: generates fresh inputs, runs the student's program on them and judges what came out.</summary>
public delegate Task<StageResult> LabStageCheck(StageContext context, CancellationToken ct);

/// <summary>One step of the classroom series ("build your own BitTorrent"): what to build, the command shape the
/// student's program implements, where the spec says it, which TorrentLab file is the model answer, and its check.</summary>
/// <param name="Name">The stage's name on the command line (<c>--stage info-hash</c>).</param>
/// <param name="Title">A short title for lists and exercise pages.</param>
/// <param name="Summary">One line on what the stage asks for.</param>
/// <param name="CommandShape">How the checker calls the student's program, e.g. <c>info &lt;file.torrent&gt;</c>.</param>
/// <param name="Bep">The part of the spec the stage covers, e.g. "BEP 3: metainfo files".</param>
/// <param name="ModelAnswer">The TorrentLab source file that does the same job, relative to the repository root.</param>
/// <param name="Exercise">The exercise page, relative to the repository root.</param>
/// <param name="TimeLimit">How long one run of the student's program may take before it is killed.</param>
/// <param name="Check">The check itself.</param>
public sealed record LabStage(
    string Name,
    string Title,
    string Summary,
    string CommandShape,
    string Bep,
    string ModelAnswer,
    string Exercise,
    TimeSpan TimeLimit,
    LabStageCheck Check)
{
    /// <summary>Whether the stage talks to a tracker or peers (these get the harder peers of <c>--faults</c>).</summary>
    public bool UsesNetwork { get; init; }

    public override string ToString() => Name;
}
