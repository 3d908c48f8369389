using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace TorrentLab.Cli.Commands;

/// <summary>What the commands that ask a running <c>torrentlab serve</c> about one torrent share (<c>why</c>,
/// <c>pieces</c>): the hash argument, <c>--url</c> and <c>--token</c>, and one GET with a distinct exit code for each
/// way it can fail.</summary>
internal sealed class ServeQuery
{
    /// <summary>How long the server has to answer: it answers from memory, so a slow answer means it is not there.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    public Argument<string> Hash { get; } = new("hash") { Description = "The torrent's v1 info hash, 40 hex digits (as 'torrentlab info' and the page show it)" };
    public Option<string> Url { get; } = new("--url") { Description = "The running 'torrentlab serve' to ask", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
    public Option<string?> Token { get; } = new("--token") { Description = "Its bearer token, when it runs with one" };

    /// <summary>A command named <paramref name="name"/> with the hash, <c>--url</c> and <c>--token</c>.</summary>
    public Command Command(string name, string description) => new(name, description) { Hash, Url, Token };

    /// <summary>GETs <c>/api/torrents/{hash}/{what}</c> and hands the answer to <paramref name="print"/>; the exit code.</summary>
    /// <exception cref="UsageException">A malformed hash or URL, or a server that wants a token it was not given.</exception>
    public async Task<int> RunAsync(ParseResult parse, string what, Action<JsonElement> print, CancellationToken ct)
    {
        var infoHash = parse.GetValue(Hash)!.Trim().ToLowerInvariant();
        if (infoHash.Length != 40 || !infoHash.All(char.IsAsciiHexDigit))
            throw new UsageException($"expected an info hash of 40 hex digits, got '{UntrustedText.Clean(infoHash, 80)}'");
        var server = parse.GetValue(Url)!.TrimEnd('/');
        if (!Uri.TryCreate(server, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            throw new UsageException($"--url must be an http:// or https:// address, got '{UntrustedText.Clean(server, 200)}'");
        using var http = new HttpClient { Timeout = AnswerTimeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{server}/api/torrents/{infoHash}/{what}");
        if (parse.GetValue(Token) is { Length: > 0 } bearer) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
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
            print(body.RootElement);
        }
        return ExitCodes.Ok;
    }

    /// <summary>A string of the server's answer, cleaned: it carries trackers', peers' and torrents' words.</summary>
    public static string Text(JsonElement element, string name) =>
        UntrustedText.Clean(element.TryGetProperty(name, out var value) ? value.GetString() : "", 500);
}
