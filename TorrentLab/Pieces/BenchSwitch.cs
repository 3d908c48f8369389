namespace TorrentLab.Pieces;

// TEMPORARY, for the first-copy measurement only: TORRENTLAB_BENCH=comma-separated switches.
internal static class BenchSwitch
{
    private static readonly string[] Flags = (Environment.GetEnvironmentVariable("TORRENTLAB_BENCH") ?? "").Split(',');
    public static bool SoleSourceFirst => !Flags.Contains("nosole");
    public static bool HonourSuggest => !Flags.Contains("nohonour");
    public static bool FirstCopy => !Flags.Contains("nofc");
    public static bool Suggest => !Flags.Contains("nosuggest");
    public static bool Hold => !Flags.Contains("nohold");
    public static bool Rotate => Flags.Contains("rotate");
    public static bool Wide => Flags.Contains("wide");
    public static bool Gate => !Flags.Contains("nogate");
    public static bool RejectAgain => Flags.Contains("reject");
    public static int Pace => Flags.Contains("pace0") ? 0 : Flags.Contains("pace2") ? 2 : 1;
}
