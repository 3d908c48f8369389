using System.Security.Cryptography;
using System.Text;
using TorrentLab.Dht;

namespace TorrentLab.Cli.Commands;

/// <summary>The file that keeps the Ed25519 secret seed of <c>dht put --key-file</c>: 64 hex digits and a newline
/// (a file of exactly 32 raw bytes is read too). Whoever holds the seed can replace the items of its public key, so a
/// new file is created readable by its owner only (0600).</summary>
internal static class DhtKeyFile
{
    /// <summary>The seed kept in <paramref name="path"/>, or a new random one written there when the file is missing
    /// (<paramref name="created"/> says which); null, with <paramref name="error"/>, when the file holds something else.</summary>
    /// <exception cref="IOException">The file cannot be read or created (missing folder, permission denied).</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static byte[]? LoadOrCreate(string path, out bool created, out string? error)
    {
        error = null;
        created = !File.Exists(path);
        if (created)
        {
            var seed = RandomNumberGenerator.GetBytes(Ed25519.KeyLength);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(path, options)) stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(seed) + "\n"));
            return seed;
        }
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == Ed25519.KeyLength) return bytes;
        var text = Encoding.ASCII.GetString(bytes).Trim();
        if (DhtCommand.CheckHex(text, 2 * Ed25519.KeyLength, "a seed") is null) return Convert.FromHexString(text);
        error = $"the key file {path} holds neither 64 hex digits nor 32 bytes (an Ed25519 seed): {bytes.Length} bytes";
        return null;
    }

    /// <summary>Whether others than the owner may read <paramref name="path"/> (always false on Windows).</summary>
    public static bool IsReadableByOthers(string path) =>
        !OperatingSystem.IsWindows()
        && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0;
}
