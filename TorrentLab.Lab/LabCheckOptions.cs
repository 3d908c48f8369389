namespace TorrentLab.Lab;

/// <summary>How <c>torrentlab lab check</c> runs: which stages, which seed, which extras.</summary>
public sealed record LabCheckOptions
{
    /// <summary>The seed of everything the program is given and meets: payloads, torrents, peer ids, the tracker's peer
    /// order, which peer misbehaves and when (not ports or paths); the report prints it.</summary>
    public required int Seed { get; init; }

    /// <summary>Check only this stage.</summary>
    public string? Stage { get; init; }

    /// <summary>Check the stages from the first through this one.</summary>
    public string? Through { get; init; }

    /// <summary>Add harder peers in the download stages (one that chokes mid-piece, one that corrupts a block every client
    /// meets, a slow one), in magnet-info (corrupt metadata every client meets first, a peer that rejects) and in the DHT
    /// stages (a first query lost, silent and garbage nodes). The command line grades with them unless told
    /// <c>--no-faults</c>: without them a client that never verifies a piece or the metadata passes. False here (a
    /// library caller chooses), true in <c>lab check</c> and <c>lab class</c>.</summary>
    public bool Faults { get; init; }

    /// <summary>Also enforce the etiquette the pages teach (<c>--strict</c>, with the faulty peers only): requests only for
    /// pieces a peer's bitfield or <c>have</c> announced (the first peer the tracker lists lacks the piece asked for),
    /// no request to a peer that chokes (for the whole file, a peer announces a piece right after its choke), the BEP 52
    /// upgrade bit in a v2 handshake, and the KRPC transaction id checked (the pinged node first sends an answer under
    /// another <c>t</c>). A client that breaks one fails even when its download succeeded.</summary>
    public bool Strict { get; init; }

    /// <summary>The report's line saying which mode graded: with the faulty peers, or with honest peers only.</summary>
    public string ModeLine => Faults
        ? (Strict
            ? "Graded strictly (--strict): faulty peers, and the rules the pages teach enforced: requests only for pieces a peer announced, none while choked, the v2 upgrade bit, the KRPC transaction id checked."
            : "Graded with faulty peers (the default): corrupt blocks and metadata every client meets, chokes, rejects, lost DHT queries; --no-faults grades with honest peers only, --strict enforces the pages' etiquette too.")
        : "Graded with honest peers only (--no-faults): a client that never verifies a piece or the metadata can pass here; the default grade adds faulty peers.";

    /// <summary>Show the wire trace (what the synthetic peers received and sent) of a failing peer stage.</summary>
    public bool Trace { get; init; }

    /// <summary>Go on after a failing stage instead of stopping there.</summary>
    public bool KeepGoing { get; init; }

    /// <summary>Every stage's time limit instead of its own (<c>--time-limit</c>), before the start-up allowance and
    /// <see cref="Slow"/> are added (<see cref="LabTiming"/>): tests use a short one to bound programs that hang; null keeps
    /// the stages' own.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Multiplies every time limit (<c>--slow</c>): for a teacher who knows the machines or the language are
    /// slow. At least 1.</summary>
    public double Slow { get; init; } = 1;

    /// <summary>The program's start-up time when already known (a class run measures it once per student); null measures
    /// it before the stages (<see cref="LabTiming.MeasureAsync"/>).</summary>
    public TimeSpan? Startup { get; init; }

    /// <summary>Confines every run of the program (<see cref="StudentSandbox"/>); null runs it unconfined, as the teacher,
    /// and the report says so with <see cref="NoSandboxReason"/>.</summary>
    public StudentSandbox? Sandbox { get; init; }

    /// <summary>Why there is no sandbox (not available here, or <c>--no-sandbox</c>), for the report.</summary>
    public string? NoSandboxReason { get; init; }

    /// <summary>The pace a run's time limit follows; null measures the checker's own pace beside the program
    /// (<see cref="MeasuredPace"/>). Tests inject a fixed one (<see cref="LabPace.Fixed"/>).</summary>
    public LabPace? Pace { get; init; }

    /// <summary>A fresh seed for a run that was not given one.</summary>
    public static int NewSeed() => Random.Shared.Next(1, 1_000_000);
}
