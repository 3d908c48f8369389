using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TorrentLab.Tests.Web.Transmission;

/// <summary>A minimal Transmission RPC client for the tests: the 409 handshake, then one request per call.</summary>
internal sealed class RpcClient(HttpClient http)
{
    private string? _sessionId;

    /// <summary>Sends one request and returns the whole answer (result, arguments, tag); fails on any status but 200.</summary>
    public async Task<JsonElement> CallAsync(string method, object? arguments, CancellationToken ct, int? tag = null)
    {
        var body = new JsonObject { ["method"] = method, ["arguments"] = arguments is null ? new JsonObject() : JsonSerializer.SerializeToNode(arguments) };
        if (tag is { } t) body["tag"] = t;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/transmission/rpc") { Content = JsonContent.Create(body) };
            if (_sessionId is not null) request.Headers.Add("X-Transmission-Session-Id", _sessionId);
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                _sessionId = response.Headers.GetValues("X-Transmission-Session-Id").Single();
                continue;
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.Clone();
        }
        Assert.Fail("the server answered 409 twice: the session id it handed out was refused");
        return default;
    }

    /// <summary>Sends one request that must succeed; returns its arguments.</summary>
    public async Task<JsonElement> SucceedAsync(string method, object? arguments, CancellationToken ct)
    {
        var answer = await CallAsync(method, arguments, ct);
        Assert.Equal("success", answer.GetProperty("result").GetString());
        return answer.GetProperty("arguments");
    }

    /// <summary>Sends one request that must fail; returns its result text.</summary>
    public async Task<string> FailAsync(string method, object? arguments, CancellationToken ct)
    {
        var answer = await CallAsync(method, arguments, ct);
        var result = answer.GetProperty("result").GetString()!;
        Assert.NotEqual("success", result);
        return result;
    }
}
