using TorrentLab.Lab;

namespace TorrentLab.Tests.Lab;

/// <summary>The strict grade (<c>--strict</c>): the rules the pages teach, enforced even when the download succeeded,
/// and the reference client keeps every one of them.</summary>
[Trait("Tier", "Slow")]
public class LabStrictTests(SharedTiming shared) : IClassFixture<SharedTiming>
{
    [Theory]
    [InlineData("download-piece")]
    [InlineData("download-file")]
    [InlineData("magnet-download-piece")]
    [InlineData("v2-download-piece")]
    [InlineData("dht-ping")]
    [InlineData("magnet-download")]
    public async Task GoodClient_PassesTheStrictGrade(string stage)
    {
        var (results, report) = await StudentClients.CheckAsync(StudentClients.Command("good_client.py"),
            await shared.ForPythonAsync(new LabCheckOptions { Seed = 303, Faults = true, Strict = true, Stage = stage }));

        Assert.True(Assert.Single(results).Result.Passed, report);
        Assert.Contains("Graded strictly (--strict)", report);
    }

    // Each client breaks one rule the pages teach and still gets the right answer: the default grade passes it, the
    // strict grade fails it with the rule named.
    [Theory]
    [InlineData("ignores_bitfield.py", "download-piece", "you asked a peer for a piece its bitfield did not announce")]
    [InlineData("ignores_bitfield.py", "magnet-download-piece", "you asked a peer for a piece its bitfield did not announce")]
    [InlineData("v2_no_upgrade_bit.py", "v2-download-piece", "reserved byte 7 |= 0x10")]
    [InlineData("dht_any_answer.py", "dht-ping", "whose 't' was not your query's")]
    [InlineData("ignores_choke.py", "download-file", "you asked a peer that was choking you")]
    [InlineData("ignores_choke.py", "magnet-download", "you asked a peer that was choking you")]
    public async Task RuleBreaker_PassesTheDefaultGrade_AndFailsTheStrictOne(string client, string stage, string hint)
    {
        var options = await shared.ForPythonAsync(new LabCheckOptions { Seed = 5, Faults = true, Stage = stage });
        // The two grades at once: each mostly waits on its peers (a choke held for seconds, the slow peer).
        var grades = await Task.WhenAll(StudentClients.CheckAsync(StudentClients.Command(client), options),
            StudentClients.CheckAsync(StudentClients.Command(client), options with { Strict = true }));
        var (plain, plainReport) = grades[0];
        var (strict, strictReport) = grades[1];

        Assert.True(Assert.Single(plain).Result.Passed, plainReport);
        var result = Assert.Single(strict).Result;
        Assert.False(result.Passed, strictReport);
        Assert.Contains(hint, result.Hint);
        Assert.Contains("(--strict)", result.Hint);
    }
}
