namespace TorrentLab.Web;

// Endpoint metadata that OpenApiDocument turns into the OpenAPI document: what the handlers cannot say by themselves
// because they read their bodies by hand.

/// <summary>A parameter of a route: <c>in</c> is path or query; <c>type</c> an OpenAPI scalar type.</summary>
internal sealed record ApiParameter(string Name, string In, string Type, string Description, bool Required = false);

/// <summary>A request body the route accepts, in these media types (schema from <paramref name="Type"/>, or binary).</summary>
internal sealed record ApiBody(string Description, IReadOnlyList<string> ContentTypes, Type? Type);

/// <summary>A response the route gives, with its JSON schema (null for none).</summary>
internal sealed record ApiResponse(int Status, string Description, Type? Type);
