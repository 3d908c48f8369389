using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace TorrentLab.Web;

/// <summary><c>/api/keys</c>: the API keys made, listed and revoked (from the page, or a script holding the server's
/// token). A key may not manage keys: a leaked one cannot make more or hide itself.</summary>
internal static class ApiKeysApi
{
    public static void Map(IEndpointRouteBuilder app, ServerCredentials credentials)
    {
        var keys = credentials.Keys;
        var group = app.MapGroup("/api/keys").WithTags("API keys");
        const string notToken = "The request presented an API key: only the server's token manages keys";
        group.MapGet("", (HttpContext context) => { OnlyTheToken(context, credentials); return Results.Json(keys.List(), WebJsonContext.Default.IReadOnlyListApiKeyInfo); })
            .WithName("ListApiKeys").WithSummary("The API keys: id, name, when made and last used (never the key)")
            .Responds(200, "The keys, oldest first", typeof(ApiKeyInfo[])).Responds(403, notToken, typeof(ApiError));
        group.MapPost("", (HttpContext context, NewApiKeyRequest request) =>
        {
            OnlyTheToken(context, credentials);
            var made = keys.Create(request.Name);
            return Results.Json(made, WebJsonContext.Default.NewApiKey, statusCode: StatusCodes.Status201Created);
        }).WithName("CreateApiKey").WithSummary("Makes a key: the answer holds it, shown this once")
            .DescribesBody("What the key is for (its name, 1-64 printable characters)")
            .Responds(201, "The key made: its listing and the key itself", typeof(NewApiKey)).Responds(400, "A missing or bad name", typeof(ApiError))
            .Responds(403, notToken, typeof(ApiError)).Responds(409, $"{ApiKeys.MaxKeys} keys exist already", typeof(ApiError))
            .Responds(415, "Another content type than application/json", typeof(ApiError));
        group.MapDelete("/{id}", (HttpContext context, string id) =>
        {
            OnlyTheToken(context, credentials);
            keys.Revoke(id);
            return Results.NoContent();
        }).WithName("RevokeApiKey").WithSummary("Revokes a key: refused from the next request on")
            .Responds(204, "Revoked", null).Responds(403, notToken, typeof(ApiError)).Responds(404, "No key has this id", typeof(ApiError));
    }

    /// <exception cref="WebApiException">403: the request presented an API key, not the server's token.</exception>
    private static void OnlyTheToken(HttpContext context, ServerCredentials credentials)
    {
        if (credentials.Open || credentials.IsToken(TokenGate.Presented(context.Request, basic: false))) return;
        throw new WebApiException(403, "only the server's token manages API keys, not a key");
    }
}
