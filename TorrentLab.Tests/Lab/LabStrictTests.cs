using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

/// <summary>The strict grade (<c>--strict</c>): the rules the pages teach, enforced even when the download succeeded,
/// and the reference client keeps every one of them.</summary>
[Trait("Tier", "Slow")]
public class LabStrictTests(SharedTiming shared) : IClassFixture<SharedTiming>
{
    private static readonly string[] StrictStages =
        ["download-piece", "download-file", "magnet-download-piece", "v2-download-piece", "dht-ping", "magnet-download"];

    public static TheoryData<string> StrictStageRows() => [.. StrictStages];

    private static LabCheckOptions Strictly(string stage) => new() { Seed = 303, Faults = true, Strict = true, Stage = stage };

    [Theory]
    [MemberData(nameof(StrictStageRows))]
    public async Task GoodClient_PassesTheStrictGrade(string stage)
    {
        var (results, report) = await shared.CheckInBatchAsync(StrictStages.Select(s => ("good_client.py", Strictly(s))), "good_client.py", Strictly(stage));

        Assert.True(Assert.Single(results).Result.Passed, report);
        Assert.Contains("Graded strictly (--strict)", report);
    }

    // Each client breaks one rule the pages teach and still gets the right answer: the default grade passes it, the
    // strict grade fails it with the rule named.
    private static readonly (string Client, string Stage, string Hint)[] RuleBreakers =
    [
        ("ignores_bitfield.py", "download-piece", "you asked a peer for a piece its bitfield did not announce"),
        ("ignores_bitfield.py", "magnet-download-piece", "you asked a peer for a piece its bitfield did not announce"),
        ("v2_no_upgrade_bit.py", "v2-download-piece", "reserved byte 7 |= 0x10"),
        ("dht_any_answer.py", "dht-ping", "whose 't' was not your query's"),
        ("ignores_choke.py", "download-file", "you asked a peer that was choking you"),
        ("ignores_choke.py", "magnet-download", "you asked a peer that was choking you"),
    ];

    public static TheoryData<string, string, string> RuleBreakerRows() => [.. RuleBreakers];

    private static LabCheckOptions Graded(string stage, bool strict) => new() { Seed = 5, Faults = true, Strict = strict, Stage = stage };

    [Theory]
    [MemberData(nameof(RuleBreakerRows))]
    public async Task RuleBreaker_PassesTheDefaultGrade_AndFailsTheStrictOne(string client, string stage, string hint)
    {
        var batch = RuleBreakers.SelectMany(r => new[] { (r.Client, Graded(r.Stage, false)), (r.Client, Graded(r.Stage, true)) }).ToList();
        var (plain, plainReport) = await shared.CheckInBatchAsync(batch, client, Graded(stage, strict: false));
        var (strict, strictReport) = await shared.CheckInBatchAsync(batch, client, Graded(stage, strict: true));

        Assert.True(Assert.Single(plain).Result.Passed, plainReport);
        var result = Assert.Single(strict).Result;
        Assert.False(result.Passed, strictReport);
        Assert.Contains(hint, result.Hint);
        Assert.Contains("(--strict)", result.Hint);
    }
}
