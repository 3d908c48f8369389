using System.Text.Json;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Rss;

/// <summary>qBittorrent's rule semantics, one row per kind of expression: what is taken and what is not.</summary>
public class RssRuleTests
{
    private static bool Takes(RssRuleDefinition definition, string title, DateTimeOffset? date = null) =>
        RssRule.From(definition).Matches(new FeedArticle("id", title, "magnet:?xt=urn:btih:00", null, date, null));

    [Theory]
    [InlineData("show 720p", "", false, "My.Show.S01E02.720p.x264", true)]     // every word, any order
    [InlineData("720p show", "", false, "My.Show.S01E02.720p.x264", true)]
    [InlineData("show 1080p", "", false, "My.Show.S01E02.720p.x264", false)]   // one word missing
    [InlineData("film|show", "", false, "My.Show.S01E02", true)]               // '|' separates alternatives
    [InlineData("my*s01", "", false, "My.Show.S01E02", true)]                  // '*' any text
    [InlineData("s0?e02", "", false, "My.Show.S01E02", true)]                  // '?' one character
    [InlineData("s0?e02", "", false, "My.Show.S1E02", false)]
    [InlineData("a+b", "", false, "a+b (literal)", true)]                      // the rest is literal
    [InlineData("a+b", "", false, "aab", false)]
    [InlineData("show", "480p|cam", false, "My.Show.S01E02.480p", false)]      // must not contain: any alternative refuses
    [InlineData("show", "480p|cam", false, "My.Show.S01E02.720p", true)]
    [InlineData(@"^my\.show\.s01e0[1-3]\b", "", true, "My.Show.S01E02.720p", true)] // a regular expression, case-insensitive
    [InlineData(@"^my\.show\.s01e0[1-3]\b", "", true, "My.Show.S01E05.720p", false)]
    [InlineData("", @"720p|1080p", true, "My.Show.S01E02.720p", false)]       // in regex mode '|' is the regex's
    [InlineData("", "", false, "Anything at all", true)]                        // no condition
    public void MustContainAndMustNotContain(string mustContain, string mustNotContain, bool regex, string title, bool taken)
    {
        Assert.Equal(taken, Takes(new RssRuleDefinition { MustContain = mustContain, MustNotContain = mustNotContain, UseRegex = regex }, title));
    }

    [Theory]
    [InlineData("1x2-4;2x-", "Show S01E01", false)]
    [InlineData("1x2-4;2x-", "Show S01E02", true)]
    [InlineData("1x2-4;2x-", "Show.s01.e04.720p", true)]
    [InlineData("1x2-4;2x-", "Show S01E05", false)]
    [InlineData("1x2-4;2x-", "Show 2x01", true)]                  // season 2, every episode
    [InlineData("1x2-4;2x-", "Show S03E07", true)]                // an open range takes later seasons too
    [InlineData("1x2;8-15;20;30-;", "Show S01E08", true)]         // qBittorrent's own example
    [InlineData("1x2;8-15;20;30-;", "Show S01E16", false)]
    [InlineData("1x2;8-15;20;30-;", "Show S01E20", true)]
    [InlineData("1x2;8-15;20;30-;", "Show S01E99", true)]
    [InlineData("1x2;8-15;20;30-;", "Show S01E200", true)]        // 30- is open
    [InlineData("1x2;", "Show S01E12", false)]                     // 2 is not 12
    [InlineData("1x2;", "Show S01E02E03", true)]
    [InlineData("1x5-3;", "Show S01E04", false)]                  // a reversed range takes nothing
    [InlineData("1x2-4;", "Show with no episode", false)]
    public void EpisodeFilter(string filter, string title, bool taken)
    {
        Assert.Equal(taken, Takes(new RssRuleDefinition { EpisodeFilter = filter }, title));
    }

    [Theory]
    [InlineData("x2-4")]    // no season
    [InlineData("1x2-a;")]
    [InlineData("1x12345;")] // more than 4 digits
    public void EpisodeFilter_OutOfItsSyntax_IsRefused(string filter)
    {
        Assert.Throws<FormatException>(() => RssRule.From(new RssRuleDefinition { EpisodeFilter = filter }));
    }

    [Fact]
    public void ARegexThatDoesNotCompile_IsRefused()
    {
        var e = Assert.Throws<FormatException>(() => RssRule.From(new RssRuleDefinition { MustContain = "show (720p", UseRegex = true }));

        Assert.Contains("not a regular expression", e.Message);
    }

    [Fact]
    public void ARegexThatWouldBacktrackWithoutEnd_GetsItsRightAnswer_WhateverTheClock()
    {
        // A backtracking engine tries the first alternative 2^40 ways before the second matches: with a limit on the wall
        // clock (100 ms) it gave up and the article was not taken. The non-backtracking engine answers in linear time.
        var title = new string('a', 40);

        Assert.True(Takes(new RssRuleDefinition { MustContain = "^(a+)+b|a", UseRegex = true }, title));
        Assert.False(Takes(new RssRuleDefinition { MustContain = "^(a+)+$", UseRegex = true }, title + "!"));
    }

    [Fact]
    public void ARegexWithWhatOnlyBacktrackingHas_StillMatches_AndOneThatBacktracksWithoutEnd_TakesNothing_AndReturns()
    {
        Assert.True(Takes(new RssRuleDefinition { MustContain = @"(?<!bad )show", UseRegex = true }, "My good show"));
        Assert.False(Takes(new RssRuleDefinition { MustContain = @"(?<!bad )show", UseRegex = true }, "My bad show"));
        Assert.True(Takes(new RssRuleDefinition { MustContain = @"(\w)\1", UseRegex = true }, "Good show"));   // a backreference
        Assert.False(Takes(new RssRuleDefinition { MustContain = @"(\w)\1", UseRegex = true }, "Bad show"));
        // A lookbehind keeps it on the backtracking engine, whose 1 s limit ends a match that would run for hours.
        Assert.False(Takes(new RssRuleDefinition { MustContain = @"^(a+)+$(?<!b)", UseRegex = true }, new string('a', 40) + "!"));
    }

    [Fact]
    public void IgnoreDays_AfterAMatch_SkipsArticlesOlderThanThatManyDaysLater()
    {
        var last = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var rule = new RssRuleDefinition { IgnoreDays = 7, LastMatch = last };

        Assert.False(Takes(rule, "x", last.AddDays(6)));
        Assert.True(Takes(rule, "x", last.AddDays(7)));
    }

    [Theory]
    [InlineData("""{"smartFilter": true}""", "smart episode filter")]
    [InlineData("""{"torrentContentLayout": "Subfolder"}""", "Original")]
    [InlineData("""{"unknownKey": 1}""", "unknownKey")]
    [InlineData("""{"enabled": "yes"}""", "true or false")]
    [InlineData("""{"affectedFeeds": [1]}""", "array of strings")]
    [InlineData("""[]""", "object")]
    public void RuleDef_KeysItCannotHonour_AreRefused(string json, string why)
    {
        using var document = JsonDocument.Parse(json);

        var e = Assert.Throws<FormatException>(() => RssRuleDefinition.Parse(document.RootElement));

        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void RuleDef_AsQBittorrentsWebUiSendsIt_IsReadAndWrittenBack()
    {
        const string sent = """{"enabled":true,"mustContain":"show 720p","mustNotContain":"cam","useRegex":false,"episodeFilter":"1x2-4;","smartFilter":false,"previouslyMatchedEpisodes":[],"affectedFeeds":["http://127.0.0.1/feed"],"ignoreDays":0,"lastMatch":"","addPaused":null,"assignedCategory":"tv","savePath":"tv","torrentContentLayout":null,"priority":0}""";
        using var document = JsonDocument.Parse(sent);

        var rule = RssRuleDefinition.Parse(document.RootElement);
        var written = new MemoryStream();
        using (var w = new Utf8JsonWriter(written)) rule.Write(w);

        Assert.Equal("""{"enabled":true,"mustContain":"show 720p","mustNotContain":"cam","useRegex":false,"episodeFilter":"1x2-4;","smartFilter":false,"previouslyMatchedEpisodes":[],"affectedFeeds":["http://127.0.0.1/feed"],"ignoreDays":0,"lastMatch":"","addPaused":null,"assignedCategory":"tv","savePath":"tv","torrentContentLayout":null}""",
            System.Text.Encoding.UTF8.GetString(written.ToArray()));
    }
}
