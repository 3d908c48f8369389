using System.Security.Cryptography;
using TorrentLab.Bencode;
using TorrentLab.Metainfo;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Builds real .torrent bytes over deterministic synthetic payloads, for tests of every stage.</summary>
public static class TestTorrents
{
    /// <summary>A torrent, its encoded bytes and the payload it describes (all files concatenated).</summary>
    public sealed record Built(Torrent Torrent, byte[] TorrentBytes, byte[] Payload, IReadOnlyList<(string Path, byte[] Data)> Files)
    {
        /// <summary>Writes the payload files below <paramref name="folder"/> as a finished download would.</summary>
        public void WritePayload(string folder)
        {
            foreach (var (path, data) in Files)
            {
                var full = Path.Combine(folder, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllBytes(full, data);
            }
        }

        /// <summary>Writes the .torrent file and returns its path.</summary>
        public string WriteTorrent(string folder, string fileName = "test.torrent")
        {
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, fileName);
            File.WriteAllBytes(path, TorrentBytes);
            return path;
        }
    }

    /// <summary>Deterministic pseudo-random bytes (same seed, same bytes).</summary>
    public static byte[] Payload(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A single-file torrent named <paramref name="name"/>.</summary>
    public static Built SingleFile(int length = 100_000, int pieceLength = 16 * 1024, string name = "payload.bin",
        string? announce = "http://127.0.0.1:1/announce", int seed = 1, bool isPrivate = false)
    {
        var data = Payload(length, seed);
        var info = new BDictionary()
            .Set("length", new BInteger(length))
            .Set("name", new BString(name))
            .Set("piece length", new BInteger(pieceLength))
            .Set("pieces", new BString(PieceHashes(data, pieceLength)));
        if (isPrivate) info.Set("private", new BInteger(1)); // BEP 27
        return Build(info, announce, data, [(name, data)]);
    }

    /// <summary>A multi-file torrent: folder <paramref name="name"/> holding the given files (paths use '/').</summary>
    public static Built MultiFile(IReadOnlyList<(string Path, int Length)> files, int pieceLength = 16 * 1024,
        string name = "folder", string? announce = "http://127.0.0.1:1/announce", int seed = 1, string? webSeed = null)
    {
        var contents = files.Select((f, i) => (f.Path, Data: Payload(f.Length, seed + i))).ToList();
        var payload = contents.SelectMany(c => c.Data).ToArray();
        var list = new BList(contents.Select(c => (BValue)new BDictionary()
            .Set("length", new BInteger(c.Data.Length))
            .Set("path", new BList(c.Path.Split('/').Select(s => (BValue)new BString(s)).ToList()))).ToList());
        var info = new BDictionary()
            .Set("files", list)
            .Set("name", new BString(name))
            .Set("piece length", new BInteger(pieceLength))
            .Set("pieces", new BString(PieceHashes(payload, pieceLength)));
        return Build(info, announce, payload, contents.Select(c => (Path.Combine([name, .. c.Path.Split('/')]), c.Data)).ToList(), webSeed);
    }

    /// <summary>The concatenated SHA-1 of each piece of <paramref name="payload"/>.</summary>
    public static byte[] PieceHashes(byte[] payload, int pieceLength)
    {
        var hashes = new List<byte>();
        for (var offset = 0; offset < payload.Length; offset += pieceLength)
            hashes.AddRange(SHA1.HashData(payload.AsSpan(offset, Math.Min(pieceLength, payload.Length - offset))));
        return [.. hashes];
    }

    private static Built Build(BDictionary info, string? announce, byte[] payload, IReadOnlyList<(string, byte[])> files, string? webSeed = null)
    {
        var root = new BDictionary().Set("info", info);
        if (announce is not null) root.Set("announce", new BString(announce));
        if (webSeed is not null) root.Set("url-list", new BList([new BString(webSeed)])); // BEP 19
        var bytes = BencodeWriter.Encode(root);
        return new Built(Torrent.Parse(bytes), bytes, payload, files);
    }
}
