using FsCheck;
using FsCheck.Fluent;
using TorrentLab.Bencode;

namespace TorrentLab.Tests.Bencode;

/// <summary>Property: for any value, decode(encode(v)) encodes to the same bytes, and strict decoding accepts it.</summary>
public class BencodeRoundTripPropertyTests
{
    // Fixed seed and size: the same 300 cases every run, so a failure is reproducible.
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(300).WithReplay(12345, 67891);

    [Fact]
    public void AnyInteger_RoundTrips() =>
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<long>(), n =>
            BencodeDecoder.Decode(BencodeWriter.Encode(new BInteger(n))) is BInteger { Value: var back } && back == n));

    [Fact]
    public void AnyByteString_RoundTrips() =>
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
            BencodeDecoder.Decode(BencodeWriter.Encode(new BString(bytes))) is BString s && s.Bytes.Span.SequenceEqual(bytes)));

    [Fact]
    public void AnyValueTree_RoundTripsByteForByte() =>
        Check.One(Quick, Prop.ForAll(Arb.From(ValueGen(3)), value =>
        {
            var encoded = BencodeWriter.Encode(value);
            var decoded = BencodeDecoder.Decode(encoded); // strict: the writer's output is canonical
            return BencodeWriter.Encode(decoded).AsSpan().SequenceEqual(encoded) && decoded.Raw.Span.SequenceEqual(encoded);
        }));

    /// <summary>Random trees of integers, byte strings, lists and dictionaries up to <paramref name="depth"/> levels.</summary>
    private static Gen<BValue> ValueGen(int depth)
    {
        var integer = ArbMap.Default.GeneratorFor<long>().Select(n => (BValue)new BInteger(n));
        var text = ArbMap.Default.GeneratorFor<byte[]>().Select(b => (BValue)new BString(b));
        if (depth == 0) return Gen.OneOf(integer, text);
        var child = ValueGen(depth - 1);
        var list = child.ListOf().Select(items => (BValue)new BList([.. items]));
        var dict = Gen.Zip(ArbMap.Default.GeneratorFor<string>().Where(k => k is not null), child).ListOf().Select(pairs =>
        {
            var d = new BDictionary();
            foreach (var (key, value) in pairs) d.Set(key, value); // Set replaces duplicates
            return (BValue)d;
        });
        return Gen.Frequency((3, integer), (3, text), (1, list), (1, dict));
    }
}
