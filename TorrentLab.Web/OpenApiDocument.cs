using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace TorrentLab.Web;

/// <summary>Writes the OpenAPI 3.0 document of the REST API (<c>/openapi/v1.json</c>) from the routes themselves: their
/// patterns and methods, and the <see cref="ApiParameter"/>, <see cref="ApiBody"/> and <see cref="ApiResponse"/>
/// metadata they carry. Schemas come from the source-generated JSON contracts, so the document shows exactly the
/// property names the API sends.</summary>
internal static class OpenApiDocument
{
    public static byte[] Write(EndpointDataSource endpoints, string version)
    {
        var schemas = new SortedDictionary<string, Type>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("openapi", "3.0.3");
            json.WriteStartObject("info");
            json.WriteString("title", "TorrentLab web API");
            json.WriteString("version", version);
            json.WriteString("description", "Torrents are named by their v1 info hash. Every /api call needs 'Authorization: Bearer <token>' when the " +
                "server runs with a token. Live updates: a WebSocket at /api/live (token as ?token=), see the README.");
            json.WriteEndObject();
            json.WriteStartObject("paths");
            var routes = endpoints.Endpoints.OfType<RouteEndpoint>()
                .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null && (e.RoutePattern.RawText ?? "").StartsWith("/api", StringComparison.Ordinal))
                .GroupBy(e => e.RoutePattern.RawText!).OrderBy(g => g.Key, StringComparer.Ordinal);
            foreach (var route in routes)
            {
                json.WriteStartObject(route.Key);
                foreach (var endpoint in route)
                    foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
                        WriteOperation(json, method.ToLowerInvariant(), endpoint, schemas);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            WriteComponents(json, schemas);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteOperation(Utf8JsonWriter json, string method, Endpoint endpoint, SortedDictionary<string, Type> schemas)
    {
        json.WriteStartObject(method);
        if (endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>() is { } summary) json.WriteString("summary", summary.Summary);
        json.WriteStartArray("tags");
        foreach (var tag in endpoint.Metadata.GetOrderedMetadata<ITagsMetadata>().SelectMany(t => t.Tags).Distinct()) json.WriteStringValue(tag);
        json.WriteEndArray();

        json.WriteStartArray("parameters");
        foreach (var p in endpoint.Metadata.GetOrderedMetadata<ApiParameter>())
        {
            json.WriteStartObject();
            json.WriteString("name", p.Name);
            json.WriteString("in", p.In);
            json.WriteBoolean("required", p.Required || p.In == "path");
            json.WriteString("description", p.Description);
            json.WriteStartObject("schema");
            json.WriteString("type", p.Type);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();

        var bodies = endpoint.Metadata.GetOrderedMetadata<ApiBody>();
        if (bodies.Count > 0)
        {
            json.WriteStartObject("requestBody");
            json.WriteBoolean("required", true);
            json.WriteString("description", string.Join("; or ", bodies.Select(b => b.Description)));
            json.WriteStartObject("content");
            foreach (var body in bodies)
                foreach (var type in body.ContentTypes)
                {
                    json.WriteStartObject(type);
                    json.WritePropertyName("schema");
                    if (type == "multipart/form-data")
                        WriteRaw(json, """{"type":"object","properties":{"torrent":{"type":"string","format":"binary"}}}""");
                    else if (body.Type is null) WriteRaw(json, """{"type":"string","format":"binary"}""");
                    else WriteSchemaRef(json, body.Type, schemas);
                    json.WriteEndObject();
                }
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteStartObject("responses");
        foreach (var response in endpoint.Metadata.GetOrderedMetadata<ApiResponse>())
        {
            json.WriteStartObject(response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("description", response.Description);
            if (response.Type is { } type)
            {
                json.WriteStartObject("content");
                json.WriteStartObject("application/json");
                json.WritePropertyName("schema");
                WriteSchemaRef(json, type, schemas);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        if (endpoint.Metadata.GetOrderedMetadata<ApiResponse>().Count > 0)
        {
            json.WriteStartObject("401");
            json.WriteString("description", "The server requires a token and the request has none or a wrong one");
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>A schema for a CLR type: scalars inline, arrays of items, records by reference to components.</summary>
    private static void WriteSchemaRef(Utf8JsonWriter json, Type type, SortedDictionary<string, Type> schemas)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        json.WriteStartObject();
        if (Scalar(type) is { } scalar)
        {
            json.WriteString("type", scalar.Type);
            if (scalar.Format is { } format) json.WriteString("format", format);
        }
        else if (ElementType(type) is { } element)
        {
            json.WriteString("type", "array");
            json.WritePropertyName("items");
            WriteSchemaRef(json, element, schemas);
        }
        else
        {
            schemas[type.Name] = type;
            json.WriteString("$ref", $"#/components/schemas/{type.Name}");
        }
        json.WriteEndObject();
    }

    private static void WriteComponents(Utf8JsonWriter json, SortedDictionary<string, Type> schemas)
    {
        json.WriteStartObject("components");
        json.WriteStartObject("schemas");
        var written = new HashSet<string>(StringComparer.Ordinal);
        // Writing a schema may reference new ones; loop until every referenced schema is written (bounded by the types).
        while (schemas.Keys.FirstOrDefault(k => !written.Contains(k)) is { } name)
        {
            written.Add(name);
            var info = WebJsonContext.Default.GetTypeInfo(schemas[name]) ?? throw new InvalidOperationException($"{name} is not in WebJsonContext");
            json.WriteStartObject(name);
            json.WriteString("type", "object");
            json.WriteStartObject("properties");
            foreach (var property in info.Properties)
            {
                json.WritePropertyName(property.Name);
                WriteSchemaRef(json, property.PropertyType, schemas);
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteStartObject("securitySchemes");
        json.WriteStartObject("bearer");
        json.WriteString("type", "http");
        json.WriteString("scheme", "bearer");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static (string Type, string? Format)? Scalar(Type type) => type switch
    {
        _ when type == typeof(string) => ("string", null),
        _ when type == typeof(bool) => ("boolean", null),
        _ when type == typeof(int) => ("integer", "int32"),
        _ when type == typeof(long) => ("integer", "int64"),
        _ when type == typeof(double) => ("number", "double"),
        _ when type == typeof(DateTimeOffset) => ("string", "date-time"),
        _ => null,
    };

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? type.GetGenericArguments()[0]
        : null;

    private static void WriteRaw(Utf8JsonWriter json, string raw) => json.WriteRawValue(raw);
}
