using System.Text;
using System.Text.Json;
using TorrentLab.Bencode;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Bencode;

/// <summary>Replays the bencode vectors transcribed from libtorrent's and anacrolix/torrent's tests.</summary>
public class BencodeVectorTests
{
    // Where our strict decoder deliberately differs from libtorrent's bdecode, and why.
    private static readonly Dictionary<string, string> LibtorrentDifferences = new()
    {
        // libtorrent records these as "soft errors" and decodes anyway; BEP 3 forbids them, so strict mode rejects.
        ["unsorted dictionary key"] = "strict rejects; BencodeOptions.Lenient accepts (real torrents have unsorted keys)",
        ["duplicate dictionary key"] = "rejected in both modes: which value would win is ambiguous (an attack vector)",
        ["leading zero in integer"] = "rejected in both modes: non-canonical, so re-encoding would change the info hash",
        ["leading zero in string length"] = "rejected in both modes, for the same reason",
        // i18446744073709551615e: libtorrent parses lazily and returns 0; values outside 64 bits are errors here.
        ["int_overflow"] = "rejected: integers must fit in 64 bits",
        // d3:fooi1e3:bari2ee: the test checks insertion order only, its keys are unsorted (see the first row).
        ["dict_at"] = "strict rejects the unsorted keys; BencodeOptions.Lenient accepts and keeps the order",
    };

    [Fact]
    public void LibtorrentBdecodeVectors_AgreeExceptWhereDocumented()
    {
        var corpus = TestPaths.RequireSharedCorpus();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(corpus, "libtorrent", "bdecode_vectors.json")));
        var problems = new List<string>();
        var count = 0;
        foreach (var v in doc.RootElement.GetProperty("vectors").EnumerateArray())
        {
            count++;
            var name = v.GetProperty("test").GetString()!;
            var input = Convert.FromHexString(v.GetProperty("input_hex").GetString()!);
            var ok = v.GetProperty("ok").GetBoolean();
            var soft = v.TryGetProperty("soft_error", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            var (value, error) = TryDecode(input, BencodeOptions.Strict);
            if (soft is not null || LibtorrentDifferences.ContainsKey(name))
            {
                // Documented difference: a BencodeException, never anything else.
                if (error is null) problems.Add($"{name}: accepted, but it has '{soft}' which we reject");
                if ((soft == "unsorted dictionary key" || name == "dict_at") && TryDecode(input, BencodeOptions.Lenient).Error is { } lenient)
                    problems.Add($"{name}: lenient mode should accept unsorted keys, got {lenient.Message}");
                continue;
            }
            if (ok && error is not null) problems.Add($"{name}: libtorrent accepts, we reject: {error.Message}");
            if (!ok && value is not null) problems.Add($"{name}: libtorrent rejects, we accept");
            if (ok && value is not null && v.TryGetProperty("value", out var expected))
            {
                var json = BencodeJson.ToJson(value);
                if (json != expected.GetRawText().Replace(" ", "").Replace("\n", "")) problems.Add($"{name}: decoded {json}, expected {expected.GetRawText()}");
            }
        }
        Assert.True(count >= 50, $"only {count} vectors read");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void LibtorrentDepthLimitVector_1024NestedLists_FailsCleanly()
    {
        // Described in bdecode_vectors.json (generated_inputs_not_listed): 1024 x 'l' then 1024 x 'e', depth limit 100.
        var input = Encoding.ASCII.GetBytes(new string('l', 1024) + new string('e', 1024));
        Assert.Contains("nesting deeper than 100", Assert.Throws<BencodeException>(() => BencodeDecoder.Decode(input)).Message);
    }

    [Fact]
    public void AnacrolixVectors_AgreeExceptWhereDocumented()
    {
        var corpus = TestPaths.RequireSharedCorpus();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(corpus, "anacrolix-torrent", "bencode_vectors.json")));
        var root = doc.RootElement;
        foreach (var v in root.GetProperty("decode_ok").EnumerateArray())
        {
            var input = v.TryGetProperty("input", out var text) ? Encoding.UTF8.GetBytes(text.GetString()!) : Convert.FromHexString(v.GetProperty("input_hex").GetString()!);
            var (value, error) = TryDecode(input, BencodeOptions.Strict);
            if (v.TryGetProperty("note", out var note) && note.GetString()!.Contains("big integer"))
            {
                // Deliberate: anacrolix decodes into a big integer; BEP 3 allows any size but we cap at 64 bits.
                Assert.NotNull(error);
                continue;
            }
            Assert.True(error is null, $"{Encoding.UTF8.GetString(input)}: {error?.Message}");
            if (v.TryGetProperty("value", out var expected))
                Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(JsonDocument.Parse(BencodeJson.ToJson(value!)).RootElement));
        }
        // Pure bencode errors (the others in decode_error are metainfo-level, covered by the metainfo tests).
        foreach (var input in new[] { "e", "i42ee", "di42e3:yese", "de\n" })
            Assert.NotNull(TryDecode(Encoding.ASCII.GetBytes(input), BencodeOptions.Strict).Error);
        foreach (var e in root.GetProperty("encode_expected_outputs_canonical").EnumerateArray())
        {
            var bytes = Encoding.ASCII.GetBytes(e.GetString()!);
            var (value, error) = TryDecode(bytes, BencodeOptions.Strict);
            if (error is not null && e.GetString() == "i62208002200000000000e")
            {
                Assert.Contains("64 bits", error.Message); // deliberate: beyond 64 bits
                continue;
            }
            Assert.Equal(bytes, BencodeWriter.Encode(value!));
        }
    }

    [Fact]
    public void AnacrolixFuzzCorpus_EitherFailsOrReencodesIdentically()
    {
        // anacrolix's oracle: decoding fails, or re-encoding gives the input back (so non-canonical input must fail).
        var corpus = TestPaths.RequireSharedCorpus();
        var files = Directory.GetFiles(Path.Combine(corpus, "anacrolix-torrent", "bencode", "testdata", "fuzz-decoded"));
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var input = File.ReadAllBytes(file);
            var (value, _) = TryDecode(input, BencodeOptions.Strict);
            if (value is not null) Assert.Equal(input, BencodeWriter.Encode(value));
        }
    }

    private static (BValue? Value, BencodeException? Error) TryDecode(byte[] input, BencodeOptions options)
    {
        try { return (BencodeDecoder.Decode(input, options), null); }
        catch (BencodeException e) { return (null, e); }
    }
}
