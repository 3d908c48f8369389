using System.Text.Json;
using TorrentLab.Client;

namespace TorrentLab.Web;

/// <summary>Held by <c>torrentlab serve</c> while it runs, and by a command-line import while it writes: an exclusive
/// lock on <c>&lt;downloads&gt;/.torrentlab/web/serve.lock</c>, so the two never write one list at once. The lock is
/// the operating system's (flock on Linux): it ends with the process that held it, so a server that crashed leaves
/// nothing to clean up.</summary>
/// <remarks>A serve that holds the lock also says where it answers (<see cref="Announce"/>): its address and token in
/// <c>serve.json</c> beside the lock, readable by its user alone, so that <c>torrentlab add</c> can reach it as
/// transmission-remote reaches its daemon. The file is trusted only while the lock is held: one a crash left behind
/// names no server.</remarks>
public sealed class ServeListLock : IDisposable
{
    private readonly FileStream _file;
    private string? _announced;

    private ServeListLock(FileStream file) => _file = file;

    /// <summary>The lock file's path.</summary>
    public static string PathFor(string downloads) => Path.Combine(Path.GetFullPath(downloads), TorrentClient.StateFolder, "web", "serve.lock");

    /// <summary>Takes the lock, or returns null when another process (or another holder in this one) has it.</summary>
    public static ServeListLock? Take(string downloads)
    {
        var path = PathFor(downloads);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            return new(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }

    /// <summary>Where a serve holding the lock says it answers.</summary>
    public static string AddressPathFor(string downloads) => Path.Combine(Path.GetDirectoryName(PathFor(downloads))!, "serve.json");

    /// <summary>Writes where this serve answers (its URL, and its token when it wants one) beside the lock, readable
    /// by its user alone; removed when the lock is released.</summary>
    public void Announce(string url, string? token)
    {
        var path = Path.Combine(Path.GetDirectoryName(_file.Name)!, "serve.json");
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // the token is a password
        using (var stream = new FileStream(temporary, options))
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("url", url);
            if (token is not null) json.WriteString("token", token);
            json.WriteEndObject();
        }
        File.Move(temporary, path, overwrite: true);
        _announced = path;
    }

    /// <summary>Where the serve that holds the lock of <paramref name="downloads"/> answers, as it announced; null when
    /// it announced nothing (an import holds the lock, or a serve of an older version) or the file cannot be read.</summary>
    public static (string Url, string? Token)? ReadAddress(string downloads)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(AddressPathFor(downloads)));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String) return null;
            var token = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return (url.GetString()!, token);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (_announced is not null)
        {
            try { File.Delete(_announced); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // named no server once the lock is gone
        }
        _file.Dispose();
    }
}
