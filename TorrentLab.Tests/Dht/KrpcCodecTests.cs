using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using TorrentLab.Dht;

namespace TorrentLab.Tests.Dht;

public class KrpcCodecTests
{
    private static readonly NodeId Abc = new(Encoding.ASCII.GetBytes("abcdefghij0123456789"));
    private static readonly NodeId Mno = new(Encoding.ASCII.GetBytes("mnopqrstuvwxyz123456"));
    private static readonly byte[] Aa = "aa"u8.ToArray();

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    // The examples of BEP 5, byte for byte.
    public static TheoryData<string, string> BepExamples => new()
    {
        { "ping query", "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe" },
        { "ping response", "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re" },
        { "find_node query", "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe" },
        { "get_peers query", "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe" },
        { "get_peers response with values", "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re" },
        { "announce_peer query", "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe" },
        { "error", "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee" },
    };

    private static KrpcMessage BepMessage(string name) => name switch
    {
        "ping query" => new KrpcQuery(Aa, KrpcMethods.Ping, Abc),
        "ping response" => new KrpcResponse(Aa, Mno),
        "find_node query" => new KrpcQuery(Aa, KrpcMethods.FindNode, Abc) { Target = Mno },
        "get_peers query" => new KrpcQuery(Aa, KrpcMethods.GetPeers, Abc) { InfoHash = Mno },
        "get_peers response with values" => new KrpcResponse(Aa, Abc)
        {
            Token = "aoeusnth"u8.ToArray(),
            Values = [new IPEndPoint(IPAddress.Parse("97.120.106.101"), 0x2E75), new IPEndPoint(IPAddress.Parse("105.100.104.116"), 0x6E6D)],
        },
        "announce_peer query" => new KrpcQuery(Aa, KrpcMethods.AnnouncePeer, Abc)
        {
            InfoHash = Mno, Port = 6881, ImpliedPort = true, Token = "aoeusnth"u8.ToArray(),
        },
        _ => new KrpcError(Aa, KrpcError.Generic, "A Generic Error Ocurred"),
    };

    [Theory]
    [MemberData(nameof(BepExamples))]
    public void Encode_BepExample_IsByteExact(string name, string wire) =>
        Assert.Equal(Bytes(wire), KrpcCodec.Encode(BepMessage(name)));

    [Theory]
    [MemberData(nameof(BepExamples))]
    public void Decode_BepExample_RoundTripsToTheSameBytes(string name, string wire)
    {
        var decoded = KrpcCodec.Decode(Bytes(wire));

        Assert.Equal(BepMessage(name).GetType(), decoded.GetType());
        Assert.Equal(Bytes(wire), KrpcCodec.Encode(decoded));
    }

    [Fact]
    public void Decode_GetPeersValues_ReadsCompactPeers()
    {
        var response = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(Bytes("d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re")));

        Assert.Equal(Abc, response.SenderId);
        Assert.Equal("aoeusnth"u8.ToArray(), response.Token);
        Assert.Equal(["97.120.106.101:11893", "105.100.104.116:28269"], response.Values.Select(v => v.ToString()));
    }

    [Fact]
    public void Decode_AnnouncePeer_ReadsEveryArgument()
    {
        var query = Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Bytes(
            "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe")));

        Assert.Equal((KrpcMethods.AnnouncePeer, Abc, Mno, 6881, true), (query.Method, query.SenderId, query.InfoHash!.Value, query.Port, query.ImpliedPort));
        Assert.Equal("aoeusnth"u8.ToArray(), query.Token);
        Assert.Equal(Aa, query.TransactionId);
    }

    // A find_node response with one 26-byte node: <id 20 "0123456789abcdefghij"><7f 00 00 01><1a e1> = 127.0.0.1:6881.
    private const string FindNodeResponseHex =
        "64" + "313a72" + "64" + "323a6964" + "32303a" + "6d6e6f707172737475767778797a313233343536" +
        "353a6e6f646573" + "32363a" + "30313233343536373839616263646566676869" + "6a" + "7f000001" + "1ae1" + "65" +
        "313a74" + "323a6161" + "313a79" + "313a72" + "65";

    [Fact]
    public void FindNodeResponse_OneCompactNode_IsByteExactBothWays()
    {
        var message = new KrpcResponse(Aa, Mno) { Nodes = [new NodeContact(new NodeId("0123456789abcdefghij"u8), IPEndPoint.Parse("127.0.0.1:6881"))] };

        Assert.Equal(FindNodeResponseHex, Convert.ToHexStringLower(KrpcCodec.Encode(message)));
        var decoded = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(Convert.FromHexString(FindNodeResponseHex)));
        var node = Assert.Single(decoded.Nodes);
        Assert.Equal(("0123456789abcdefghij", "127.0.0.1:6881"), (Encoding.ASCII.GetString(node.Id.Bytes), node.EndPoint.ToString()));
    }

    [Fact]
    public void Nodes6_ThirtyEightByteRecords_RoundTrip()
    {
        var message = new KrpcResponse(Aa, Mno) { Nodes6 = [new NodeContact(Abc, IPEndPoint.Parse("[::1]:6881"))] };

        var decoded = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(KrpcCodec.Encode(message)));

        Assert.Equal("[::1]:6881", Assert.Single(decoded.Nodes6).EndPoint.ToString());
    }

    [Fact]
    public void Version_IsKeptAndWritten()
    {
        var wire = Bytes("d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:v4:LT\x01\x02" + "1:y1:re");

        var decoded = KrpcCodec.Decode(wire);

        Assert.Equal("LT\x01\x02", Encoding.Latin1.GetString(decoded.Version!));
        Assert.Equal(wire, KrpcCodec.Encode(decoded));
    }

    [Theory]
    [InlineData("", "an empty datagram")]
    [InlineData("i1e", "not a bencoded dictionary")]
    [InlineData("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe", "the message has no 't'")]
    [InlineData("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:ti1e1:y1:qe", "'t' in the message is an integer, expected a string")]
    [InlineData("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t0:1:y1:qe", "'t' in the message is 0 bytes")]
    [InlineData("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:xe", "'y' is 'x'")]
    [InlineData("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe", "'id' in the 'ping' arguments is 19 bytes, expected 20")]
    [InlineData("d1:a4:ping1:q4:ping1:t2:aa1:y1:qe", "'a' in a query is a string, expected a dictionary")]
    [InlineData("d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe", "the 'find_node' arguments has no 'target'")]
    [InlineData("d1:ad2:id20:abcdefghij01234567899:info_hash40:mnopqrstuvwxyz123456mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe", "'info_hash' in the 'get_peers' arguments is 40 bytes, expected 20")]
    [InlineData("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti0e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe", "'port' in the 'announce_peer' arguments is 0, expected 1..65535")]
    [InlineData("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti70000e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe", "is 70000, expected 1..65535")]
    [InlineData("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti6881ee1:q13:announce_peer1:t2:aa1:y1:qe", "has no 'token'")]
    [InlineData("d1:ad2:id20:abcdefghij012345678912:implied_porti2e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token2:abe1:q13:announce_peer1:t2:aa1:y1:qe", "'implied_port' in the 'announce_peer' arguments is 2, expected 0 or 1")]
    [InlineData("d1:rd2:id20:mnopqrstuvwxyz1234565:nodes25:xxxxxxxxxxxxxxxxxxxxxxxxxe1:t2:aa1:y1:re", "'nodes' is 25 bytes, not a multiple of 26")]
    [InlineData("d1:rd2:id20:mnopqrstuvwxyz1234566:nodes626:xxxxxxxxxxxxxxxxxxxxxxxxxxe1:t2:aa1:y1:re", "'nodes6' is 26 bytes, not a multiple of 38")]
    [InlineData("d1:rd2:id20:mnopqrstuvwxyz1234566:valuesl5:axje.ee1:t2:aa1:y1:re", "value 0 of 'values' is 5 bytes, expected 6 (IPv4) or 18 (IPv6)")]
    [InlineData("d1:rd2:id20:mnopqrstuvwxyz1234566:valuesl6:axje\0\0ee1:t2:aa1:y1:re", "value 0 of 'values' has port 0")]
    [InlineData("d1:rd2:id20:mnopqrstuvwxyz1234566:valuesi1ee1:t2:aa1:y1:re", "'values' in the response is an integer, expected a list")]
    [InlineData("d1:ei201e1:t2:aa1:y1:ee", "'e' in an error is not a list of [code, message]")]
    [InlineData("d1:r0:1:t2:aa1:y1:re", "'r' in a response is a string, expected a dictionary")]
    public void Decode_MalformedField_ThrowsDhtExceptionSayingWhere(string wire, string message)
    {
        var e = Assert.Throws<DhtException>(() => KrpcCodec.Decode(Bytes(wire)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OversizedDatagram_IsRejectedBeforeParsing()
    {
        var e = Assert.Throws<DhtException>(() => KrpcCodec.Decode(new byte[KrpcCodec.MaxDatagram + 1]));
        Assert.Contains("over the 8192-byte limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ImpliedPort_AcceptsAnyPortValue()
    {
        var query = Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Bytes(
            "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti0e5:token2:abe1:q13:announce_peer1:t2:aa1:y1:qe")));
        Assert.True(query.ImpliedPort);
    }

    [Fact]
    public void Decode_UnknownMethod_IsKeptForA204Answer()
    {
        var query = Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Bytes("d1:ad2:id20:abcdefghij0123456789e1:q6:vote_x1:t2:aa1:y1:qe")));
        Assert.Equal("vote_x", query.Method);
    }

    [Fact]
    public void TryReadEnvelope_MalformedQuery_StillGivesItsTransactionId()
    {
        var envelope = KrpcCodec.TryReadEnvelope(Bytes("d1:ad2:id3:abce1:q4:ping1:t2:zz1:y1:qe"));
        Assert.Equal(("zz", (byte)'q'), (Encoding.ASCII.GetString(envelope!.Value.TransactionId), envelope.Value.Type));
        Assert.Null(KrpcCodec.TryReadEnvelope(Bytes("d1:y1:qe")));
    }

    [Fact]
    public void Response_WithRequesterAddress_CarriesBep42sTopLevelIp()
    {
        var requester = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 0x1AE1);

        var bytes = KrpcCodec.Encode(new KrpcResponse(Aa, Mno) { RequesterAddress = requester });

        Assert.Equal(Bytes(Regex.Unescape(@"d2:ip6:\xcb\x00\x71\x07\x1a\xe11:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re")), bytes);
        Assert.Equal(requester, KrpcCodec.Decode(bytes).RequesterAddress);
    }

    [Theory]
    [InlineData(@"d2:ip6:\xcb\x00\x71\x07\x1a\xe11:eli201e3:Bade1:t2:aa1:y1:ee", "203.0.113.7:6881")] // errors carry it too
    [InlineData(@"d2:ip18:\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe11:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re", "[2001:db8::1]:6881")]
    [InlineData(@"d2:ip5:abcde1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re", null)] // another length: ignored
    [InlineData(@"d2:ip6:\xcb\x00\x71\x07\x00\x001:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re", null)] // port 0: ignored
    [InlineData(@"d2:ipi5e1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re", null)] // not a string: ignored
    public void Decode_TopLevelIp_IsReadWhenItIsACompactAddress(string message, string? expected)
    {
        var decoded = KrpcCodec.Decode(Bytes(Regex.Unescape(message)));

        Assert.Equal(expected, decoded.RequesterAddress?.ToString());
    }

    // BEP 32: "want" is a list of flags, "n4" and "n6", in the arguments of find_node and get_peers (keys sorted).
    [Theory]
    [InlineData("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl2:n42:n6ee1:q9:find_node1:t2:aa1:y1:qe", "n4,n6")]
    [InlineData("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:wantl2:n6ee1:q9:get_peers1:t2:aa1:y1:qe", "n6")]
    public void Want_EncodesAsAListOfFlags_ByteExact_AndRoundTrips(string wire, string flags)
    {
        var want = flags.Split(',');
        KrpcQuery query = wire.Contains("find_node", StringComparison.Ordinal)
            ? new KrpcQuery(Aa, KrpcMethods.FindNode, Abc) { Target = Mno, Want = want }
            : new KrpcQuery(Aa, KrpcMethods.GetPeers, Abc) { InfoHash = Mno, Want = want };

        Assert.Equal(Bytes(wire), KrpcCodec.Encode(query));
        Assert.Equal(want, Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Bytes(wire))).Want);
    }

    [Fact]
    public void Want_Absent_DecodesAsEmpty()
    {
        var query = Assert.IsType<KrpcQuery>(KrpcCodec.Decode(Bytes("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe")));
        Assert.Empty(query.Want);
    }

    [Theory]
    [InlineData("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:want2:n4e1:q9:find_node1:t2:aa1:y1:qe")]   // a string, not a list
    [InlineData("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantli4eee1:q9:find_node1:t2:aa1:y1:qe")]  // an integer flag
    [InlineData("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl3:n46ee1:q9:find_node1:t2:aa1:y1:qe")] // a three-letter flag
    public void Want_Malformed_ThrowsDhtExceptionNamingIt(string wire)
    {
        var e = Assert.Throws<DhtException>(() => KrpcCodec.Decode(Bytes(wire)));
        Assert.Contains("'want' in the 'find_node' arguments", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetPeersAnswer_OverIPv6_CarriesEighteenBytePeersAndNodes6_ByteExact()
    {
        // BEP 32: over IPv6 "values" holds compact IPv6 peers, <ipv6 16><port 2>, and "nodes6" <id 20><ipv6 16><port 2>.
        var peer = new IPEndPoint(IPAddress.IPv6Loopback, 0x1AE1);
        var message = new KrpcResponse(Aa, Mno) { Token = "tk"u8.ToArray(), Values = [peer], Nodes6 = [new NodeContact(Abc, new IPEndPoint(IPAddress.IPv6Loopback, 0x1AE2))] };
        var loopback = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u0001";
        var wire = $"d1:rd2:id20:mnopqrstuvwxyz1234566:nodes638:abcdefghij0123456789{loopback}\u001a\u00e25:token2:tk6:valuesl18:{loopback}\u001a\u00e1ee1:t2:aa1:y1:re";

        Assert.Equal(Bytes(wire), KrpcCodec.Encode(message));
        var decoded = Assert.IsType<KrpcResponse>(KrpcCodec.Decode(Bytes(wire)));
        Assert.Equal([peer], decoded.Values);
        Assert.Equal("[::1]:6882", Assert.Single(decoded.Nodes6).EndPoint.ToString());
    }
}
