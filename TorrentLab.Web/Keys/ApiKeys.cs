using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorrentLab.Client;

namespace TorrentLab.Web;

/// <summary>An API key as listed: never the key itself, which is shown once, when it is made.</summary>
/// <param name="Id">Its id (12 hex digits), to revoke it by.</param>
/// <param name="Name">What it is for ("sonarr", "prometheus").</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="LastUsedAt">When a request last presented it (kept in memory: null after a restart until it is used).</param>
public sealed record ApiKeyInfo(string Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A key just made: its listing and the key, shown this once.</summary>
public sealed record NewApiKey(ApiKeyInfo Info, string Key);

/// <summary>The body of <c>POST /api/keys</c>.</summary>
/// <param name="Name">What the key is for: 1-64 printable characters.</param>
public sealed record NewApiKeyRequest(string Name);

/// <summary>A saved key: its SHA-256 only.</summary>
internal sealed record SavedApiKey(string Id, string Name, DateTimeOffset CreatedAt, string Sha256);

/// <summary>The saved keys: <c>&lt;downloads&gt;/.torrentlab/web/api-keys.json</c>.</summary>
internal sealed record ApiKeysDocument(int Version, IReadOnlyList<SavedApiKey> Keys);

/// <summary>The server's API keys (qBittorrent 5.2's, the *arr apps' and scripts' way in): each made with a name, shown
/// once, accepted by the REST API, both remote APIs and the metrics wherever the server's token is (as a bearer token,
/// an <c>X-Api-Key</c> header or a Basic password), listed by name and revoked by id; the server's token is never one of
/// them and only it manages them. Stored as SHA-256 digests: a key is 32 random bytes, so a digest cannot be reversed or
/// guessed, and a stolen file opens nothing.</summary>
internal sealed class ApiKeys
{
    /// <summary>What every key starts with, so a leaked one is recognisable (and a token is never taken for one).</summary>
    public const string Prefix = "tlk_";

    /// <summary>Keys kept at most.</summary>
    public const int MaxKeys = 100;

    private const int FormatVersion = 1;
    private readonly string _path;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SavedApiKey> _bySha256 = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lastUsed = new(StringComparer.Ordinal); // by id

    private ApiKeys(string path, TimeProvider clock) => (_path, _clock) = (path, clock);

    /// <summary>The keys saved in <paramref name="folder"/> (none when it holds no file).</summary>
    /// <exception cref="IOException">The file cannot be read, or is not a list of keys.</exception>
    public static ApiKeys Open(string folder, TimeProvider clock)
    {
        var keys = new ApiKeys(Path.Combine(folder, "api-keys.json"), clock);
        if (!File.Exists(keys._path)) return keys;
        try
        {
            var saved = JsonSerializer.Deserialize(File.ReadAllBytes(keys._path), WebJsonContext.Default.ApiKeysDocument);
            foreach (var key in saved?.Keys ?? []) keys._bySha256[key.Sha256] = key;
        }
        catch (JsonException e)
        {
            throw new IOException($"{keys._path} is not a list of API keys ({e.Message}); move it away to start without keys", e);
        }
        return keys;
    }

    /// <summary>Makes a key named <paramref name="name"/> and saves it (its digest).</summary>
    /// <exception cref="WebApiException">400: a bad name; 409: <see cref="MaxKeys"/> keys exist already.</exception>
    public NewApiKey Create(string? name)
    {
        name = name?.Trim();
        if (name is not { Length: > 0 and <= 64 } || name.Any(char.IsControl))
            throw new WebApiException(400, "a key's name is 1 to 64 printable characters");
        var key = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var saved = new SavedApiKey(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), name, _clock.GetUtcNow(), Sha256(key));
        lock (_lock)
        {
            if (_bySha256.Count >= MaxKeys) throw new WebApiException(409, $"{MaxKeys} keys exist already: revoke one first");
            _bySha256[saved.Sha256] = saved;
            SaveLocked();
        }
        return new NewApiKey(Info(saved), key);
    }

    /// <summary>Every key, oldest first.</summary>
    public IReadOnlyList<ApiKeyInfo> List()
    {
        lock (_lock) return [.. _bySha256.Values.OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal).Select(Info)];
    }

    /// <summary>Revokes the key of id <paramref name="id"/>: refused from the next request on.</summary>
    /// <exception cref="WebApiException">404: no such key.</exception>
    public void Revoke(string id)
    {
        lock (_lock)
        {
            if (_bySha256.Values.FirstOrDefault(k => k.Id == id) is not { } key) throw new WebApiException(404, "no API key with this id");
            _bySha256.Remove(key.Sha256);
            _lastUsed.Remove(key.Id);
            SaveLocked();
        }
    }

    /// <summary>True when <paramref name="presented"/> is a live key (its use noted).</summary>
    public bool Accepts(string? presented)
    {
        if (presented is null || !presented.StartsWith(Prefix, StringComparison.Ordinal) || presented.Length > 100) return false;
        var digest = Sha256(presented);
        lock (_lock)
        {
            if (!_bySha256.TryGetValue(digest, out var key)) return false;
            _lastUsed[key.Id] = _clock.GetUtcNow();
            return true;
        }
    }

    private ApiKeyInfo Info(SavedApiKey key) => new(key.Id, key.Name, key.CreatedAt, _lastUsed.TryGetValue(key.Id, out var at) ? at : null);

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private void SaveLocked()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var temp = _path + ".tmp";
        using (var stream = AtomicFile.CreateTemporary(temp))
        {
            JsonSerializer.Serialize(stream, new ApiKeysDocument(FormatVersion, [.. _bySha256.Values.OrderBy(k => k.CreatedAt)]), WebJsonContext.Default.ApiKeysDocument);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, _path, overwrite: true);
    }
}
