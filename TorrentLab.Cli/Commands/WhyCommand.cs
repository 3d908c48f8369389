using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab why HASH [--url URL] [--token TOKEN]</c>: asks a running <c>torrentlab serve</c> why a torrent
/// makes progress or not (<c>GET /api/torrents/{hash}/why</c>) and prints the verdict and its findings.</summary>
internal static class WhyCommand
{
    /// <summary>How long the server has to answer: it answers from memory, so a slow answer means it is not there.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var hash = new Argument<string>("hash") { Description = "The torrent's v1 info hash, 40 hex digits (as 'torrentlab info' and the page show it)" };
        var url = new Option<string>("--url") { Description = "The running 'torrentlab serve' to ask", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var token = new Option<string?>("--token") { Description = "Its bearer token, when it runs with one" };
        var command = new Command("why", "Ask a running 'torrentlab serve' why a torrent makes progress or not: its trackers' last answers, "
            + "the DHT, whether our port was reached, and the peers tried with why each was dropped or refused.") { hash, url, token };
        return command.WithAction(async (parse, ct) =>
        {
            var infoHash = parse.GetValue(hash)!.Trim().ToLowerInvariant();
            if (infoHash.Length != 40 || !infoHash.All(char.IsAsciiHexDigit))
                throw new UsageException($"expected an info hash of 40 hex digits, got '{UntrustedText.Clean(infoHash, 80)}'");
            var server = parse.GetValue(url)!.TrimEnd('/');
            if (!Uri.TryCreate(server, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
                throw new UsageException($"--url must be an http:// or https:// address, got '{UntrustedText.Clean(server, 200)}'");
            using var http = new HttpClient { Timeout = AnswerTimeout };
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{server}/api/torrents/{infoHash}/why");
            if (parse.GetValue(token) is { Length: > 0 } bearer) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                Console.Error.WriteLine($"error: cannot reach torrentlab serve at {server} ({UntrustedText.Clean(e.Message, 300)}); is it running? (--url)");
                return ExitCodes.ServeUnreachable;
            }
            using (response)
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.NotFound:
                        Console.Error.WriteLine($"error: torrentlab serve at {server} has no torrent {infoHash}");
                        return ExitCodes.UnknownTorrent;
                    case HttpStatusCode.Unauthorized:
                        throw new UsageException($"torrentlab serve at {server} wants its token (--token)");
                    case not HttpStatusCode.OK:
                        Console.Error.WriteLine($"error: torrentlab serve at {server} answered {(int)response.StatusCode} {response.ReasonPhrase}");
                        return ExitCodes.Failed;
                }
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
                Print(body.RootElement, Console.Out);
            }
            return ExitCodes.Ok;
        });
    }

    /// <summary>The diagnosis in plain text: the verdict, then each group of findings, one per line.</summary>
    internal static void Print(JsonElement why, TextWriter output)
    {
        output.WriteLine($"{Text(why, "name")} ({Text(why, "infoHash")})");
        output.WriteLine($"verdict: {Text(why, "verdict")} [{Text(why, "cause")}]");
        Group(output, "trackers", why.GetProperty("trackers").EnumerateArray());
        if (why.TryGetProperty("dht", out var dht)) Group(output, "dht", [dht]);
        Group(output, "port", [why.GetProperty("reachability")]);
        Group(output, "peers", why.GetProperty("peers").EnumerateArray());
    }

    private static void Group(TextWriter output, string title, IEnumerable<JsonElement> findings)
    {
        var list = findings.ToList();
        output.WriteLine($"{title}:{(list.Count == 0 ? " none yet" : "")}");
        foreach (var f in list) output.WriteLine($"  {Text(f, "kind"),-18} {Text(f, "subject")}: {Text(f, "text")}");
    }

    /// <summary>A string of the server's answer, cleaned: it carries trackers' and peers' words.</summary>
    private static string Text(JsonElement element, string name) =>
        UntrustedText.Clean(element.TryGetProperty(name, out var value) ? value.GetString() : "", 500);
}
