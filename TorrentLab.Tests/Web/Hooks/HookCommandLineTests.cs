using TorrentLab.Web;

namespace TorrentLab.Tests.Web.Hooks;

/// <summary>A hook's command line is split here, never by a shell: quotes group, placeholders are replaced per argument
/// after the split, in one pass, so a torrent's name is one argument holding exactly its text.</summary>
public class HookCommandLineTests
{
    [Theory]
    [InlineData("/bin/prog", new[] { "/bin/prog" })]
    [InlineData("  /bin/prog   a\tb  ", new[] { "/bin/prog", "a", "b" })]
    [InlineData("/bin/prog \"%N\" %D", new[] { "/bin/prog", "%N", "%D" })]                    // qBittorrent's usual form
    [InlineData("\"/opt/my tools/notify\" \"a b\" c", new[] { "/opt/my tools/notify", "a b", "c" })]
    [InlineData("prog 'single \"kept\" $(x)'", new[] { "prog", "single \"kept\" $(x)" })]       // single quotes take all as it is
    [InlineData("prog \"say \\\"hi\\\" \\\\ \\n\"", new[] { "prog", "say \"hi\" \\ \\n" })]       // \" and \\ inside double quotes; \n stays
    [InlineData("prog a\\ b \\'c", new[] { "prog", "a b", "'c" })]                            // a backslash outside quotes escapes one character
    [InlineData("prog \"\" ''", new[] { "prog", "", "" })]                                      // empty arguments are arguments
    [InlineData("prog x\"y z\"w", new[] { "prog", "xy zw" })]                                   // quotes join with what touches them
    [InlineData("prog ; rm -rf / && $(boom)", new[] { "prog", ";", "rm", "-rf", "/", "&&", "$(boom)" })] // no shell: mere words
    public void Split_GivesTheProgramAndItsArguments(string line, string[] expected) =>
        Assert.Equal(expected, HookCommandLine.Split(line));

    [Theory]
    [InlineData("prog \"open")]     // a double quote never closed
    [InlineData("prog 'open")]      // a single quote never closed
    [InlineData("prog \\")]         // a backslash escaping nothing
    [InlineData("")]                // no program
    [InlineData("   ")]
    [InlineData("\"\" arg")]        // an empty program
    [InlineData("prog\narg")]       // a control character
    public void Split_RefusesWhatCannotBeSplit_WithA400(string line)
    {
        var e = Assert.Throws<WebApiException>(() => HookCommandLine.Split(line));
        Assert.Equal(400, e.StatusCode);
        Assert.Contains("cannot be split", e.Message, StringComparison.Ordinal);
    }

    private static readonly HookFields Fields = new("completed", "My Show S01E02", "tv", ["hd", "new"], "/srv/dl/tv", "/srv/dl/tv/My Show S01E02",
        "/srv/dl/tv/My Show S01E02", 3, 123456, "http://tracker.example/announce", ["http://tracker.example/announce", "udp://t2.example:80"],
        new string('a', 40), null, new string('a', 40), 7, 100000, new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero), null);

    [Theory]
    [InlineData("%N", "My Show S01E02")]
    [InlineData("%L", "tv")]
    [InlineData("%G", "hd,new")]
    [InlineData("%F", "/srv/dl/tv/My Show S01E02")]
    [InlineData("%R", "/srv/dl/tv/My Show S01E02")]
    [InlineData("%D", "/srv/dl/tv")]
    [InlineData("%C", "3")]
    [InlineData("%Z", "123456")]
    [InlineData("%T", "http://tracker.example/announce")]
    [InlineData("%I", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("%J", "-")]                                   // no v2 hash: qBittorrent's "-"
    [InlineData("%K", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("--name=%N;size=%Z", "--name=My Show S01E02;size=123456")]
    [InlineData("100% %X %", "100% %X %")]                   // a % before no placeholder stays
    public void Expand_ReplacesQBittorrentsPlaceholders(string argument, string expected) =>
        Assert.Equal(expected, HookCommandLine.Expand(argument, Fields.Placeholder));

    [Theory]
    [InlineData("x\"; rm -rf ~; echo \"")]
    [InlineData("$(touch pwned) `touch pwned2` & | > out")]
    [InlineData("a name with %D and %N inside")]            // what a value holds is never expanded again
    [InlineData("' \" \\ ; \t")]
    public void AHostileName_IsOneArgument_HoldingExactlyItsText(string name)
    {
        var fields = Fields with { Name = name };

        var words = HookCommandLine.Split("/usr/bin/notify \"%N\" --dir %D").Select(w => HookCommandLine.Expand(w, fields.Placeholder)).ToArray();

        Assert.Equal(["/usr/bin/notify", name, "--dir", "/srv/dl/tv"], words);
    }

    [Theory]
    [InlineData("/opt/scripts/done.sh")]
    [InlineData("/opt/my scripts/it's done.sh")]
    [InlineData("/opt/\"q\"/$(x) %N.sh")]
    public void Quote_MakesAPathOneWord_ThatSplitsBackToItself(string path)
    {
        var line = HookCommandLine.Quote(path);

        Assert.Equal([path], HookCommandLine.Split(line));
        Assert.Equal(path, HookCommandLine.SingleWord(line));
    }

    [Fact]
    public void Environment_IsTransmissionsScriptVariables()
    {
        var environment = Fields.Environment("4.0.0");

        Assert.Equal("4.0.0", environment["TR_APP_VERSION"]);
        Assert.Equal("/srv/dl/tv", environment["TR_TORRENT_DIR"]);
        Assert.Equal(new string('a', 40), environment["TR_TORRENT_HASH"]);
        Assert.Equal("7", environment["TR_TORRENT_ID"]);
        Assert.Equal("My Show S01E02", environment["TR_TORRENT_NAME"]);
        Assert.Equal("tv,hd,new", environment["TR_TORRENT_LABELS"]);
        Assert.Equal("100000", environment["TR_TORRENT_BYTES_DOWNLOADED"]);
        Assert.Equal("http://tracker.example/announce,udp://t2.example:80", environment["TR_TORRENT_TRACKERS"]);
        Assert.Matches(@"^\w{3} \w{3} \d{1,2} \d{2}:\d{2}:\d{2} 2026$", environment["TR_TIME_LOCALTIME"]);
    }

    [Fact]
    public void Json_HasTheWebhooksFields()
    {
        using var json = System.Text.Json.JsonDocument.Parse(Fields with { Event = "error", Error = "disk full" } is var f ? f.Json() : []);
        var root = json.RootElement;

        Assert.Equal("error", root.GetProperty("event").GetString());
        Assert.Equal(new string('a', 40), root.GetProperty("hash").GetString());
        Assert.Equal("My Show S01E02", root.GetProperty("name").GetString());
        Assert.Equal("tv", root.GetProperty("category").GetString());
        Assert.Equal(["hd", "new"], root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!));
        Assert.Equal("/srv/dl/tv", root.GetProperty("savePath").GetString());
        Assert.Equal("/srv/dl/tv/My Show S01E02", root.GetProperty("contentPath").GetString());
        Assert.Equal(123456, root.GetProperty("size").GetInt64());
        Assert.Equal(3, root.GetProperty("files").GetInt32());
        Assert.Equal("http://tracker.example/announce", root.GetProperty("tracker").GetString());
        Assert.Equal(Fields.Time, root.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("disk full", root.GetProperty("error").GetString());
    }
}
