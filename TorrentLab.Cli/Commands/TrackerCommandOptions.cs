using System.CommandLine;
using System.Text.Json.Serialization;
using TorrentLab.Metainfo;
using TorrentLab.Tracker;

namespace TorrentLab.Cli.Commands;

/// <summary>The argument and options <c>peers</c> and <c>scrape</c> share, and how they turn into the torrent and a
/// <see cref="TrackerClient"/>.</summary>
internal sealed class TrackerCommandOptions
{
    public Argument<string> File { get; } = new Argument<string>("file.torrent") { Description = "The .torrent file" }.NotAnOption();

    public Option<string?> Tracker { get; } = new Option<string?>("--tracker") { Description = "Ask this tracker URL instead of the torrent's (http://, https:// or udp://)" }.TrackerUrls();

    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON instead of text" };

    public Option<double> Timeout { get; } = TimeoutOption();

    /// <summary><c>--timeout DURATION</c>, as the dht commands read it (<c>10s</c>, <c>1m</c>, a bare number of seconds).</summary>
    private static Option<double> TimeoutOption()
    {
        var option = DhtCommand.TimeoutOption(15);
        option.Description = "How long to wait for each HTTP tracker, and for each UDP attempt (3 attempts: t, 2t, 4t), e.g. 15s, 1m (a bare number is seconds; above 0, at most 1h)";
        return option;
    }

    /// <summary>A command that takes the torrent file, <c>--tracker</c>, <c>--json</c> and <c>--timeout</c>.</summary>
    public Command Command(string name, string description) => new(name, description) { File, Tracker, Json, Timeout };

    /// <summary>The torrent the command names, and a client for its trackers (or <c>--tracker</c>).</summary>
    public (Torrent Torrent, TrackerClient Client) Open(ParseResult parse)
    {
        var torrent = Torrent.Load(parse.GetValue(File)!);
        return (torrent, CreateClient(torrent, parse.GetValue(Tracker), parse.GetValue(Timeout)));
    }

    /// <summary>A client over <c>--tracker</c> when given, else the torrent's tiers (or its plain announce).</summary>
    private static TrackerClient CreateClient(Torrent torrent, string? trackerOverride, double timeoutSeconds)
    {
        var tiers = trackerOverride is not null ? [[trackerOverride]] : torrent.TrackerTiers;
        if (tiers.Count == 0) throw new TrackerException("the torrent names no tracker; pass --tracker URL");
        if (timeoutSeconds is <= 0 or > 3600) throw new UsageException($"--timeout must be between 0 and 3600 seconds, got {timeoutSeconds}");
        var timeout = TimeSpan.FromSeconds(timeoutSeconds);
        return new TrackerClient(tiers, new TrackerClientOptions
        {
            HttpTimeout = timeout,
            UdpRetransmitSchedule = [timeout, timeout * 2, timeout * 4], // BEP 15's 15 x 2^n, cut short after n = 2
        });
    }
}

internal sealed record PeersJson(IReadOnlyList<string> Peers, int IntervalSeconds, int? MinIntervalSeconds, int? Complete,
    int? Incomplete, string? WarningMessage, string? TrackerId);

internal sealed record ScrapeJson(string InfoHash, int Seeders, int Leechers, int Completed);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PeersJson))]
[JsonSerializable(typeof(ScrapeJson))]
internal sealed partial class TrackerJsonContext : JsonSerializerContext;
