using System.Text;
using TorrentLab.Dht;

namespace TorrentLab.Tests.Dht;

/// <summary>The KRPC messages of BEP 44 (get, put) and BEP 51 (sample_infohashes), byte for byte and round-tripped.</summary>
public class KrpcCodecItemTests
{
    private static readonly NodeId Abc = new(Encoding.ASCII.GetBytes("abcdefghij0123456789"));
    private static readonly NodeId Mno = new(Encoding.ASCII.GetBytes("mnopqrstuvwxyz123456"));
    private static readonly byte[] Aa = "aa"u8.ToArray();
    private static readonly byte[] K = Enumerable.Repeat((byte)'k', 32).ToArray();
    private static readonly byte[] Sig = Enumerable.Repeat((byte)'s', 64).ToArray();

    private static string Text(byte[] bytes) => Encoding.Latin1.GetString(bytes);
    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    public static TheoryData<string, string> Messages => new()
    {
        { "get query", "d1:ad2:id20:abcdefghij01234567893:seqi4e6:target20:mnopqrstuvwxyz123456e1:q3:get1:t2:aa1:y1:qe" },
        { "immutable put query", "d1:ad2:id20:abcdefghij01234567895:token4:tokn1:v12:Hello World!e1:q3:put1:t2:aa1:y1:qe" },
        {
            "mutable put query",
            "d1:ad3:casi4e2:id20:abcdefghij01234567891:k32:" + new string('k', 32) + "4:salt6:foobar3:seqi5e3:sig64:" + new string('s', 64)
            + "5:token4:tokn1:vli1ei2eee1:q3:put1:t2:aa1:y1:qe"
        },
        {
            "mutable get response",
            "d1:rd2:id20:mnopqrstuvwxyz1234561:k32:" + new string('k', 32) + "3:seqi5e3:sig64:" + new string('s', 64)
            + "5:token4:tokn1:vd1:ai1eee1:t2:aa1:y1:re"
        },
        { "sample_infohashes query", "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q17:sample_infohashes1:t2:aa1:y1:qe" },
        {
            "sample_infohashes response",
            "d1:rd2:id20:mnopqrstuvwxyz1234568:intervali300e3:numi2e7:samples40:abcdefghij0123456789mnopqrstuvwxyz123456e1:t2:aa1:y1:re"
        },
    };

    private static KrpcMessage Message(string name) => name switch
    {
        "get query" => new KrpcQuery(Aa, KrpcMethods.Get, Abc) { Target = Mno, Sequence = 4 },
        "immutable put query" => new KrpcQuery(Aa, KrpcMethods.Put, Abc)
        {
            Token = "tokn"u8.ToArray(), Item = new DhtItem { Value = Bytes("12:Hello World!") },
        },
        "mutable put query" => new KrpcQuery(Aa, KrpcMethods.Put, Abc)
        {
            Token = "tokn"u8.ToArray(), Cas = 4,
            Item = new DhtItem { Value = Bytes("li1ei2ee"), PublicKey = K, Salt = "foobar"u8.ToArray(), Sequence = 5, Signature = Sig },
        },
        "mutable get response" => new KrpcResponse(Aa, Mno)
        {
            Token = "tokn"u8.ToArray(), Item = new DhtItem { Value = Bytes("d1:ai1ee"), PublicKey = K, Sequence = 5, Signature = Sig },
        },
        "sample_infohashes query" => new KrpcQuery(Aa, KrpcMethods.SampleInfohashes, Abc) { Target = Mno },
        "sample_infohashes response" => new KrpcResponse(Aa, Mno) { Samples = [Abc, Mno], Num = 2, Interval = 300 },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Encode_IsByteExact(string name, string wire)
    {
        Assert.Equal(wire, Text(KrpcCodec.Encode(Message(name))));
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Decode_ThenEncode_GivesTheSameBytes(string name, string wire)
    {
        _ = name;
        var decoded = KrpcCodec.Decode(Bytes(wire));
        Assert.Equal(wire, Text(KrpcCodec.Encode(decoded)));
    }

    [Fact]
    public void Decode_MutablePut_ReadsEveryField()
    {
        var query = Assert.IsType<KrpcQuery>(KrpcCodec.Decode(KrpcCodec.Encode(Message("mutable put query"))));

        var item = query.Item!;
        Assert.True(item.IsMutable);
        Assert.Equal(K, item.PublicKey);
        Assert.Equal("foobar"u8.ToArray(), item.Salt);
        Assert.Equal(5, item.Sequence);
        Assert.Equal(Sig, item.Signature);
        Assert.Equal("li1ei2ee"u8.ToArray(), item.Value);
        Assert.Equal(4, query.Cas);
    }

    [Fact]
    public void Decode_SampleResponse_ReadsSamplesNumAndInterval()
    {
        var response = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(KrpcCodec.Encode(Message("sample_infohashes response"))));

        Assert.Equal([Abc, Mno], response.Samples);
        Assert.Equal(2, response.Num);
        Assert.Equal(300, response.Interval);
    }

    [Theory]
    [InlineData("d1:ad2:id20:abcdefghij01234567895:token4:tokn1:vd1:bi1e1:ai2eee1:q3:put1:t2:aa1:y1:qe", "not canonical")] // v with unsorted keys
    [InlineData("d1:ad2:id20:abcdefghij01234567891:k3:abc3:seqi1e3:sig64:" + "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss" + "5:token4:tokn1:v1:xe1:q3:put1:t2:aa1:y1:qe", "'k'")] // a 3-byte key
    [InlineData("d1:ad2:id20:abcdefghij01234567895:token4:tokne1:q3:put1:t2:aa1:y1:qe", "no 'v'")]
    [InlineData("d1:ad2:id20:abcdefghij0123456789e1:q3:get1:t2:aa1:y1:qe", "no 'target'")]
    [InlineData("d1:rd2:id20:mnopqrstuvwxyz1234567:samples3:abce1:t2:aa1:y1:re", "multiple of 20")]
    public void Decode_MalformedItemMessages_ThrowDhtExceptionSayingWhat(string wire, string expected)
    {
        var e = Assert.Throws<DhtException>(() => KrpcCodec.Decode(Bytes(wire)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
