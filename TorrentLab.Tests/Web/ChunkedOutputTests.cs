using System.Buffers;
using System.Text.Json;
using TorrentLab.Web;

namespace TorrentLab.Tests.Web;

/// <summary>The API answers' output in pooled chunks: what is written comes out whole and in order across chunk edges,
/// a refused answer is forgotten, and a write larger than a chunk gets room of its own.</summary>
public class ChunkedOutputTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AJsonAnswerOfManyChunks_ComesOutByteForByte_AsOneArrayWouldHoldIt()
    {
        using var output = new ChunkedOutput();
        var expected = new ArrayBufferWriter<byte>();
        foreach (var sink in new IBufferWriter<byte>[] { output, expected })
        {
            using var writer = new Utf8JsonWriter(sink);
            writer.WriteStartArray();
            for (var i = 0; i < 20_000; i++) writer.WriteStringValue($"row {i} \u00e9"); // about 250 KB: several 64 KiB chunks
            writer.WriteEndArray();
        }
        using var copy = new MemoryStream();

        await output.CopyToAsync(copy, Ct);

        Assert.True(expected.WrittenCount > 4 * 64 * 1024);
        Assert.Equal(expected.WrittenCount, output.Length);
        Assert.Equal(expected.WrittenSpan.ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task Clear_ForgetsEverythingWritten_AndWhatFollowsIsAllThatIsCopied()
    {
        using var output = new ChunkedOutput();
        for (var i = 0; i < 300; i++) output.Write(new byte[1000]); // past the first chunk
        output.Clear();
        output.Write("{}"u8);
        using var copy = new MemoryStream();

        await output.CopyToAsync(copy, Ct);

        Assert.Equal(2, output.Length);
        Assert.Equal("{}"u8.ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task ASpanAskedLargerThanAChunk_HasTheRoomAsked()
    {
        using var output = new ChunkedOutput();
        output.Write("ab"u8);
        var room = Fill(output, 200_000, (byte)'x');
        using var copy = new MemoryStream();

        await output.CopyToAsync(copy, Ct);

        Assert.True(room >= 200_000);
        Assert.Equal(200_002, copy.Length);
        Assert.Equal((byte)'b', copy.ToArray()[1]);
        Assert.Equal((byte)'x', copy.ToArray()[^1]);
    }

    private static int Fill(ChunkedOutput output, int count, byte value)
    {
        var span = output.GetSpan(count);
        span[..count].Fill(value);
        output.Advance(count);
        return span.Length;
    }

    [Fact]
    public void AdvancingPastTheRoomGiven_IsRefused()
    {
        using var output = new ChunkedOutput();
        var room = output.GetSpan(10).Length;

        Assert.Throws<InvalidOperationException>(() => output.Advance(room + 1));
    }
}
