using System.Net;
using System.Security.Cryptography;
using System.Text;
using TorrentLab.Dht;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Cli;

/// <summary><c>torrentlab dht put</c> and <c>dht get</c> (BEP 44 items) as a user runs them: against our own nodes on
/// 127.0.0.1, and against a local DHT of libtorrent nodes (skipped visibly without python3-libtorrent).</summary>
public partial class DhtCommandTests
{
    private static string Sha1Hex(byte[] bytes) => Convert.ToHexStringLower(SHA1.HashData(bytes));

    /// <summary>Runs <paramref name="body"/> against <see cref="SmallDhtAsync"/>, with its first node's address.</summary>
    private static async Task WithSmallDhtAsync(Func<List<DhtNode>, string, Task> body)
    {
        var nodes = await SmallDhtAsync();
        try
        {
            await body(nodes, nodes[0].LocalEndPoint!.ToString());
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    [Fact]
    public Task Put_PlainText_PrintsTheTarget_AndGetPrintsTheValueAsJson() => WithSmallDhtAsync(async (nodes, first) =>
    {
        var target = Sha1Hex("11:hello world"u8.ToArray()); // plain text is stored as a bencoded string

        var put = await CliRunner.RunAsync(["dht", "put", "hello world", "--bootstrap", first]);
        var get = await CliRunner.RunAsync(["dht", "get", target, "--bootstrap", first]);

        Assert.Equal(($"{target}\n", CliRunner.Codes.Ok), (put.Stdout, put.ExitCode));
        Assert.Matches(@"^stored by [1-9]\d* node\(s\)\n$", put.Stderr);
        Assert.Contains(nodes, n => n.StoredItem(NodeId.FromHex(target)) is { IsMutable: false });
        Assert.Equal(("\"hello world\"\n", CliRunner.Codes.Ok), (get.Stdout, get.ExitCode));
    });

    [Fact]
    public Task Put_Bencode_StoresTheBytesAsGiven_AndGetDecodesThem() => WithSmallDhtAsync(async (_, first) =>
    {
        const string value = "d1:ai1e1:bl1:x1:yee";

        var put = await CliRunner.RunAsync(["dht", "put", "--bencode", value, "--bootstrap", first]);
        var get = await CliRunner.RunAsync(["dht", "get", put.Stdout.Trim(), "--bootstrap", first]);

        Assert.Equal(($"{Sha1Hex(Encoding.ASCII.GetBytes(value))}\n", CliRunner.Codes.Ok), (put.Stdout, put.ExitCode));
        Assert.Equal(("{\"a\":1,\"b\":[\"x\",\"y\"]}\n", CliRunner.Codes.Ok), (get.Stdout, get.ExitCode));
    });

    [Fact]
    public Task PutMutable_CreatesAPrivateKeyFile_FollowsTheSeq_AndGetPrintsSeqAndValue() => WithSmallDhtAsync(async (nodes, first) =>
    {
        using var folder = new TempFolder();
        var keyFile = folder.Combine("item.key");

        var one = await CliRunner.RunAsync(["dht", "put", "--key-file", keyFile, "--salt", "greeting", "first", "--bootstrap", first]);
        var two = await CliRunner.RunAsync(["dht", "put", "--key-file", keyFile, "--salt", "greeting", "second", "--bootstrap", first]);
        var seed = Convert.FromHexString(File.ReadAllText(keyFile).Trim());
        var publicKey = Convert.ToHexStringLower(Ed25519.PublicKey(seed));
        var get = await CliRunner.RunAsync(["dht", "get", "--key", publicKey, "--salt", "greeting", "--bootstrap", first]);

        var target = DhtItem.MutableTarget(Ed25519.PublicKey(seed), "greeting"u8).Hex;
        Assert.Equal(CliRunner.Codes.Ok, one.ExitCode);
        Assert.Contains($"created {keyFile}", one.Stderr, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal($"Public key: {publicKey}\nTarget: {target}\nSeq: 1\n", one.Stdout);
        Assert.Equal(($"Public key: {publicKey}\nTarget: {target}\nSeq: 2\n", CliRunner.Codes.Ok), (two.Stdout, two.ExitCode));
        Assert.DoesNotContain("created", two.Stderr, StringComparison.Ordinal); // the same key, read back
        Assert.Contains(nodes, n => n.StoredItem(NodeId.FromHex(target)) is { Sequence: 2, IsMutable: true });
        Assert.Equal(("Seq: 2\nValue: \"second\"\n", CliRunner.Codes.Ok), (get.Stdout, get.ExitCode));
    });

    [Fact]
    public Task PutMutable_ALowerSeqThanStored_ExitsOneWithTheNodesReason() => WithSmallDhtAsync(async (_, first) =>
    {
        using var folder = new TempFolder();
        var keyFile = folder.Combine("item.key");

        var newer = await CliRunner.RunAsync(["dht", "put", "--key-file", keyFile, "--seq", "5", "new", "--bootstrap", first]);
        var older = await CliRunner.RunAsync(["dht", "put", "--key-file", keyFile, "--seq", "3", "old", "--bootstrap", first]);

        Assert.Equal(CliRunner.Codes.Ok, newer.ExitCode);
        Assert.Equal(("", CliRunner.Codes.Failed), (older.Stdout, older.ExitCode));
        // BEP 44: error 302 when the sequence number is lower than the one stored.
        Assert.Matches(@"^error: no node stored the item \(\d+ nodes answered\): [^\n]*error 302: sequence number less than current\n$", older.Stderr);
    });

    [Fact]
    public Task Get_NothingStored_ExitsOneWithAClearLine() => WithSmallDhtAsync(async (_, first) =>
    {
        var immutable = await CliRunner.RunAsync(["dht", "get", new string('7', 40), "--bootstrap", first]);
        var mutable = await CliRunner.RunAsync(["dht", "get", "--key", Convert.ToHexStringLower(Ed25519.PublicKey(new byte[32])), "--bootstrap", first]);

        Assert.Equal(("", CliRunner.Codes.Failed), (immutable.Stdout, immutable.ExitCode));
        Assert.StartsWith($"error: no immutable item found for {new string('7', 40)} (", immutable.Stderr, StringComparison.Ordinal);
        Assert.Equal(("", CliRunner.Codes.Failed), (mutable.Stdout, mutable.ExitCode));
        Assert.StartsWith("error: no mutable item found for ", mutable.Stderr, StringComparison.Ordinal);
    });

    [Theory]
    [InlineData("get", "7777777777777777777777777777777777777777")]
    [InlineData("put", "hello")]
    public void GetOrPut_NobodyAnswers_IsAPeerError(string verb, string argument)
    {
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never answers
        var address = silent.Client.LocalEndPoint!.ToString()!;

        var result = CliRunner.Run(["dht", verb, argument, "--bootstrap", address, "--timeout", "2"]);

        Assert.Equal(("", CliRunner.Codes.Peer), (result.Stdout, result.ExitCode));
        Assert.StartsWith($"error: dht: no DHT node answered ({address}; ", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bencode", "i03e")]             // not canonical: a leading zero
    [InlineData("--bencode", "d1:bi1e1:ai2ee")]   // not canonical: keys out of order
    [InlineData("--bencode", "5:abc")]            // truncated
    public void Put_InvalidBencode_IsBadInput_BeforeAnyQuery(string flag, string value)
    {
        // The bootstrap port is never asked: the value is refused first.
        var result = CliRunner.Run(["dht", "put", flag, value, "--bootstrap", "127.0.0.1:9"]);

        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.StartsWith("error: invalid bencode: ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Put_AKeyFileHoldingSomethingElse_IsBadInput()
    {
        using var folder = new TempFolder();
        var keyFile = folder.Combine("not-a.key");
        File.WriteAllText(keyFile, "not a key\n");

        var result = CliRunner.Run(["dht", "put", "--key-file", keyFile, "x", "--bootstrap", "127.0.0.1:9"]);

        Assert.Equal(CliRunner.Codes.BadInput, result.ExitCode);
        Assert.Equal($"error: the key file {keyFile} holds neither 64 hex digits nor 32 bytes (an Ed25519 seed): 10 bytes\n", result.Stderr);
        Assert.Equal("not a key\n", File.ReadAllText(keyFile)); // left as it was
    }

    public static TheoryData<string[]> MalformedItemArguments => new()
    {
        { ["dht", "get", "--bootstrap", "127.0.0.1:6881"] },                                         // neither target nor key
        { ["dht", "get", "abc", "--bootstrap", "127.0.0.1:6881"] },                                  // a short target
        { ["dht", "get", new string('a', 40), "--key", new string('b', 64)] },                       // both
        { ["dht", "get", "--key", new string('b', 63)] },                                            // a short key
        { ["dht", "get", new string('a', 40), "--salt", "s"] },                                      // a salt without a key
        { ["dht", "get", "--key", new string('b', 64), "--salt", new string('s', 65)] },             // salt over 64 bytes
        { ["dht", "put", new string('x', 997)] },                                                    // 1001 bytes bencoded
        { ["dht", "put", "--bencode", $"1000:{new string('x', 1000)}"] },                            // 1005 bytes
        { ["dht", "put", "--seq", "3", "x"] },                                                       // --seq without a key
        { ["dht", "put", "--key-file", "k", "--seq", "-1", "x"] },                                   // a negative seq
        { ["dht", "put", "--key-file", "k", "--seq", "two", "x"] },                                  // not a number
        { ["dht", "put", "x", "--bootstrap", "127.0.0.1:99999"] },                                   // a bad node address
    };

    [Theory]
    [MemberData(nameof(MalformedItemArguments))]
    public void MalformedItemArguments_AreUsageErrors(string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.Equal(CliRunner.Codes.Usage, result.ExitCode);
        Assert.Matches(@"^error: [^\n]*expect", result.Stderr);
    }

    [Fact]
    public void Put_A1000ByteValue_IsNotAUsageError()
    {
        // 996 characters are exactly 1000 bytes bencoded ("996:" + 996), the most BEP 44 allows; the silent port makes
        // it a network failure, past the argument checks.
        using var silent = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));

        var result = CliRunner.Run(["dht", "put", new string('x', 996), "--bootstrap", silent.Client.LocalEndPoint!.ToString()!, "--timeout", "1"]);

        Assert.Equal(CliRunner.Codes.Peer, result.ExitCode);
        Assert.StartsWith("error: dht: no DHT node answered", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A libtorrent DHT whose first node has walked it once: libtorrent answers with the nodes it has heard
    /// answer, and its own get never asks its own store, so without the walk the first node names nobody else, our put
    /// reaches it alone, and its get cannot find the item.</summary>
    private static async Task<LibtorrentDht> WalkedLibtorrentDhtAsync(string python, string folder)
    {
        var dht = await LibtorrentDht.StartAsync(python, folder, 4, Ct, seed: false);
        await dht.GetPeersAsync(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)), Ct);
        return dht;
    }

    [Fact]
    public async Task Put_ThroughTheCli_IsFoundByLibtorrent_AndLibtorrentsMutablePutIsPrintedByGet()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await WalkedLibtorrentDhtAsync(python, folder.Path);
        var first = dht.First.ToString();
        var text = $"from the command line {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";

        var put = await CliRunner.RunAsync(["dht", "put", text, "--bootstrap", first]);
        var found = await dht.AskAsync($"get_immutable {put.Stdout.Trim()}", Ct);

        Assert.Equal(CliRunner.Codes.Ok, put.ExitCode);
        Assert.Equal($"item {Convert.ToHexStringLower(Encoding.ASCII.GetBytes($"{text.Length}:{text}"))}", found);

        // libtorrent signs with the expanded secret of a seed of ours; the CLI only needs the public key and salt.
        var seed = RandomNumberGenerator.GetBytes(32);
        var publicKey = Convert.ToHexStringLower(Ed25519.PublicKey(seed));
        var data = Encoding.ASCII.GetBytes("libtorrent's value");
        var ltPut = (await dht.AskAsync($"put_mutable {Convert.ToHexStringLower(Ed25519.ExpandedSecret(seed))} {publicKey} {Convert.ToHexStringLower(data)} {Convert.ToHexStringLower("a salt"u8)}", Ct)).Split(' ');
        var get = await CliRunner.RunAsync(["dht", "get", "--key", publicKey, "--salt", "a salt", "--bootstrap", first]);

        Assert.NotEqual("0", ltPut[2]);
        Assert.Equal(("Seq: 1\nValue: \"libtorrent's value\"\n", CliRunner.Codes.Ok), (get.Stdout, get.ExitCode));
    }

    [Fact]
    public async Task PutMutable_ThroughTheCli_IsFoundByLibtorrent_WhichCheckedTheSignature()
    {
        var python = Interop.RequireLibtorrentPython();
        using var folder = new TempFolder();
        using var dht = await WalkedLibtorrentDhtAsync(python, folder.Path);
        var keyFile = folder.Combine("item.key");

        var put = await CliRunner.RunAsync(["dht", "put", "--key-file", keyFile, "signed here", "--bootstrap", dht.First.ToString()]);
        var publicKey = Convert.ToHexStringLower(Ed25519.PublicKey(Convert.FromHexString(File.ReadAllText(keyFile).Trim())));
        // libtorrent drops an answer whose signature does not verify: an answer at all means it checked ours.
        var answer = await dht.AskAsync($"get_mutable {publicKey} -", Ct);

        Assert.Equal(CliRunner.Codes.Ok, put.ExitCode);
        Assert.StartsWith($"Public key: {publicKey}\n", put.Stdout, StringComparison.Ordinal);
        Assert.StartsWith($"mutable 1 {Convert.ToHexStringLower("11:signed here"u8)} ", answer, StringComparison.Ordinal);
    }
}
