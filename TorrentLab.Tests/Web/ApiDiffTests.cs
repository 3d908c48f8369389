using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorrentLab.Lab;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Web.Transmission;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The remote APIs keep every field the real daemons answer: <c>fixtures/api-diff/daemons.json</c> holds the
/// calls <c>bench/api/api_diff.py</c> made to transmission-daemon 3.00 and qbittorrent-nox 4.5.2 and the shape of each
/// answer (every field's path and JSON type); the same calls made here to serve must answer each route and each field
/// with the same type. A field clients use that goes missing fails here; the routes TorrentLab deliberately does not
/// serve are the fixture's <c>deliberate</c> list, which docs/web.md prints. Regenerate the fixture with
/// <c>/usr/bin/python3 bench/api/api_diff.py --fixture fixtures/api-diff/daemons.json --doc docs/web.md</c>.</summary>
public class ApiDiffTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Objects whose keys are data (info hashes, addresses, names): compared by their values' shape, as the script does.</summary>
    private static readonly HashSet<string> Maps = ["torrents", "peers", "categories", "trackers", "torrents_removed"];

    /// <summary>Routes whose answer is itself a map (keyed by category name or info hash), as the script says.</summary>
    private static readonly HashSet<string> RootMaps = ["torrents/categories", "torrents/downloadLimit", "torrents/uploadLimit", "torrents/addPeers"];

    /// <summary>Calls whose answer lists only torrents in some state: the daemon's torrent was there, ours (downloading) need
    /// not be, so their elements are compared only when the list is not empty.</summary>
    private static readonly HashSet<string> StateLists = ["torrents/info filter=stalled_uploading", "torrents/info filter=moving"];

    [Fact]
    public async Task EveryRouteAndFieldOfTheRealDaemons_IsAnsweredWithItsType()
    {
        var fixture = JsonNode.Parse(File.ReadAllText(TestPaths.Fixture("api-diff", "daemons.json")))!;
        // 64 blocks at one every 2 s: still downloading from its one peer when the last call comes.
        await using var web = await WebTestServer.StartAsync(Ct, SyntheticBehaviour.Slow, pieces: 64, slowDelay: TimeSpan.FromSeconds(2),
            configure: o => o with { MaxPeers = 50 }, webSeed: "http://127.0.0.1:1/seed/");
        await web.AddAsync(start: true, Ct);
        await WaitForPeerAndAnnounceAsync(web, "the start");
        var rpc = new RpcClient(web.Http);
        var differences = new List<string>();
        var unchecked_ = new List<string>();

        var last = "the start";
        foreach (var call in fixture["calls"]!.AsArray())
        {
            var api = (string)call!["api"]!;
            var name = (string)call["name"]!;
            await WaitForPeerAndAnnounceAsync(web, last); // a stop, a rename or a reannounce before dropped the peer for a moment
            var expected = call["shape"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.AsArray().Select(k => (string)k!).ToHashSet());
            Dictionary<string, HashSet<string>> ours;
            if (api == "transmission")
            {
                var arguments = Fill(call["arguments"]!.ToJsonString(), web);
                var answer = await rpc.CallAsync((string)call["method"]!, JsonNode.Parse(arguments), Ct);
                var result = answer.GetProperty("result").GetString();
                ours = result == "success" ? Shape(answer.GetProperty("arguments"), rootIsMap: false) : new() { ["."] = [$"refused: {result}"] };
            }
            else
            {
                var route = (string)call["route"]!;
                var parameters = call["parameters"]!.AsObject().Select(p => KeyValuePair.Create(p.Key, Fill((string)p.Value!, web))).ToList();
                using var response = (string)call["method"]! == "GET"
                    ? await web.Http.GetAsync($"/api/v2/{route}?{string.Join('&', parameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"))}", Ct)
                    : await web.Http.PostAsync($"/api/v2/{route}", new FormUrlEncodedContent(parameters), Ct);
                var body = await response.Content.ReadAsStringAsync(Ct);
                ours = !response.IsSuccessStatusCode ? new() { ["."] = [$"status {(int)response.StatusCode}: {body}"] }
                    : response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
                        ? Shape(JsonDocument.Parse(body).RootElement, rootIsMap: RootMaps.Contains(route))
                        : new() { ["."] = [System.Text.RegularExpressions.Regex.IsMatch(body.Trim(), "^-?[0-9.]+$") ? "text number" : "text"] };
            }
            // A field the fixture lists as deliberately answered otherwise (with its reason) is left out of the comparison.
            foreach (var d in fixture["deliberate"]!.AsArray().Where(d => (string)d!["path"]! != "" && $"{api} {name}".StartsWith((string)d!["call"]!, StringComparison.Ordinal)))
            {
                var path = (string)d!["path"]!;
                expected.Remove(path);
                ours.Remove(path);
            }
            Compare($"{api} {name}", expected, ours, differences, unchecked_, StateLists.Contains(name));
            last = $"{api} {name}";
        }

        Assert.True(differences.Count == 0, "serve lacks or retypes what the daemons answer:\n" + string.Join('\n', differences));
        Assert.All(unchecked_, u => Assert.Contains(StateLists, s => u.Contains(s, StringComparison.Ordinal)));
    }

    [Fact]
    public void Fixture_SaysWhatIsDeliberatelyNotSupported_AndDocsWebMdPrintsIt()
    {
        var fixture = JsonNode.Parse(File.ReadAllText(TestPaths.Fixture("api-diff", "daemons.json")))!;
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "web.md"));
        var section = doc[doc.IndexOf("<!-- api-diff:begin -->", StringComparison.Ordinal)..doc.IndexOf("<!-- api-diff:end -->", StringComparison.Ordinal)];

        var deliberate = fixture["deliberate"]!.AsArray().Select(d => ((string)d!["call"]!).Split(' ', 2)[1]).ToList();

        Assert.NotEmpty(deliberate);
        Assert.All(deliberate, route => Assert.Contains($"- {route}", section, StringComparison.Ordinal));
        Assert.Contains("0 difference(s)", section, StringComparison.Ordinal);
        Assert.True(fixture["calls"]!.AsArray().Count > 40, "the fixture lists the calls of both daemons");
    }

    private static string Fill(string text, WebTestServer web) =>
        text.Replace("\"{id}\"", "1", StringComparison.Ordinal).Replace("{hash}", web.InfoHash, StringComparison.Ordinal)
            .Replace("{downloads}", web.Downloads.Path, StringComparison.Ordinal).Replace("{name}", "webtest", StringComparison.Ordinal);

    /// <summary>Downloading from the slow seeder (a peer connected) with the tracker's answer in: the state the daemons
    /// were asked in, so every list the fixture shapes has elements here too.</summary>
    private static async Task WaitForPeerAndAnnounceAsync(WebTestServer web, string after)
    {
        TorrentDetails? details = null;
        if (await Wait.UntilAsync(async () =>
            {
                details = await web.DetailsAsync(Ct);
                return (details.Summary.State == "paused" && after != "the start") // stopped by the call: the next starts it
                    || (details.Peers.Count > 0 && details.Trackers.All(t => t.AnsweredAt is not null));
            }, TimeSpan.FromSeconds(60), Ct))
            return;
        Assert.Fail($"after {after}, no peer and tracker answer in 60 s: {details!.Summary.State}, {details.Peers.Count} peer(s), " +
            $"trackers {string.Join("; ", details.Trackers.Select(t => t.LastAnswer))}; log: {string.Join(" | ", details.Log.TakeLast(8))}");
    }

    /// <summary>Every path of a JSON value with its type; a map's keys become '*', an array's elements '[]'.</summary>
    private static Dictionary<string, HashSet<string>> Shape(JsonElement value, bool rootIsMap)
    {
        var shape = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        void Walk(JsonElement v, string path)
        {
            var kind = v.ValueKind switch
            {
                JsonValueKind.Null => "null", JsonValueKind.True or JsonValueKind.False => "bool", JsonValueKind.Number => "number",
                JsonValueKind.String => "string", JsonValueKind.Array => "array", _ => "object",
            };
            (shape.TryGetValue(path.Length == 0 ? "." : path, out var kinds) ? kinds : shape[path.Length == 0 ? "." : path] = []).Add(kind);
            if (v.ValueKind == JsonValueKind.Object)
            {
                var last = path[(path.LastIndexOf('.') + 1)..];
                foreach (var p in v.EnumerateObject())
                    Walk(p.Value, (path.Length > 0 ? path + "." : "") + ((path.Length > 0 && Maps.Contains(last)) || (path.Length == 0 && rootIsMap) ? "*" : p.Name));
            }
            else if (v.ValueKind == JsonValueKind.Array)
                foreach (var item in v.EnumerateArray()) Walk(item, path + "[]");
        }
        Walk(value, "");
        return shape;
    }

    private static void Compare(string call, Dictionary<string, HashSet<string>> expected, Dictionary<string, HashSet<string>> ours,
        List<string> differences, List<string> unchecked_, bool stateList)
    {
        var ourRoot = ours.GetValueOrDefault(".") ?? [];
        if (ourRoot.Any(k => k.StartsWith("status", StringComparison.Ordinal) || k.StartsWith("refused", StringComparison.Ordinal)))
        {
            differences.Add($"{call}: {string.Join(", ", expected["."])} there, {string.Join(", ", ourRoot)} here");
            return;
        }
        foreach (var (path, kinds) in expected)
        {
            if (ours.TryGetValue(path, out var mine))
            {
                var wanted = kinds.Where(k => k != "null").ToHashSet();
                if (wanted.Count > 0 && !wanted.IsSubsetOf(mine)) differences.Add($"{call}: {path} is {string.Join('/', kinds)} there, {string.Join('/', mine)} here");
                continue;
            }
            // Missing: fine only below an array or map that is empty here, in a list of torrents in one state.
            var parent = path.Contains("[]", StringComparison.Ordinal) ? path[..(path.IndexOf("[]", StringComparison.Ordinal))] : null;
            if (parent is not null && stateList && (ours.ContainsKey(parent.Length == 0 ? "." : parent)) && !ours.Keys.Any(k => k.StartsWith(parent + "[]", StringComparison.Ordinal)))
                unchecked_.Add($"{call}: {path}");
            else differences.Add($"{call}: {path} ({string.Join('/', kinds)}) is missing here");
        }
        foreach (var (path, kinds) in ours)
            if (kinds.SetEquals(["null"])) differences.Add($"{call}: {path} is null here");
    }
}
