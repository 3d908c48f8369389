using System.CommandLine;
using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Cli.Display;
using TorrentLab.Dht;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab dht get &lt;target&gt;</c> and <c>dht get --key &lt;public key&gt; [--salt TEXT]</c>: a BEP 44
/// get lookup; prints an immutable item's value as JSON (as <c>decode</c> does), or a mutable item's <c>Seq:</c> and
/// <c>Value:</c>.</summary>
internal static class DhtGetCommand
{
    public static Command Create()
    {
        var target = new Argument<string?>("target")
        {
            Description = "An immutable item's target: the SHA-1 of its bencoded value, 40 hex digits", Arity = ArgumentArity.ZeroOrOne,
        };
        var key = new Option<string?>("--key") { Description = "A mutable item's Ed25519 public key, 64 hex digits (instead of a target)" };
        var salt = new Option<string?>("--salt") { Description = "The mutable item's salt, as text (at most 64 bytes)" };
        var bootstrap = DhtCommand.BootstrapOption();
        var state = DhtCommand.StateOption();
        var verbose = DhtCommand.VerboseOption();
        var port = DhtCommand.PortOption();
        var timeout = DhtCommand.TimeoutOption(30);
        var command = new Command("get", "Look up a DHT item (BEP 44 get) and print its value: immutable by target, mutable by --key and --salt.")
        {
            target, key, salt, bootstrap, state, verbose, timeout, port,
        };
        command.Validators.Add(result =>
        {
            var (hex, publicKey, saltText) = (result.GetValue(target), result.GetValue(key), result.GetValue(salt));
            if (hex is not null && publicKey is not null)
                result.AddError("expected either a target (an immutable item) or --key (a mutable item), got both");
            if (hex is not null && DhtCommand.CheckHex(hex, 40, "a target") is { } badTarget) result.AddError(badTarget);
            if (publicKey is not null && DhtCommand.CheckHex(publicKey, 2 * Ed25519.KeyLength, "a public key (--key)") is { } badKey) result.AddError(badKey);
            if (saltText is not null && CheckSalt(saltText, publicKey is not null, "--key") is { } badSalt) result.AddError(badSalt);
            foreach (var node in result.GetValue(bootstrap) ?? [])
                if (PeerAddress.Check(node, "--dht-bootstrap") is { } error) result.AddError(error);
        });
        return command.WithAction(async (parse, ct) =>
        {
            // Here rather than in the validator: an error there would hide the errors of the options' values.
            if (parse.GetValue(target) is null && parse.GetValue(key) is null)
                throw new UsageException("expected a target of 40 hex digits (an immutable item) or --key with 64 hex digits (a mutable item)");
            var statePath = parse.GetValue(state);
            var nodes = DhtCommand.StartingNodes(parse.GetValue(bootstrap) ?? [], statePath);
            var options = DhtCommand.NodeOptions(nodes, parse.GetValue(timeout), statePath, parse.GetValue(port));
            if (parse.GetValue(verbose)) options = options with { Logger = new LineLogger(DhtCommand.LogLine) };
            await using var dht = await DhtCommand.StartNodeAsync(options, ct).ConfigureAwait(false);

            if (parse.GetValue(key) is { } publicKeyHex)
            {
                var publicKey = Convert.FromHexString(publicKeyHex);
                var saltBytes = Encoding.UTF8.GetBytes(parse.GetValue(salt) ?? "");
                var item = await dht.GetMutableAsync(publicKey, saltBytes, ct).ConfigureAwait(false);
                if (item is null) return NotFound(dht, nodes, DhtItem.MutableTarget(publicKey, saltBytes), "mutable item");
                // The lookup kept only items whose signature checks (ItemExchange.LookupAsync).
                Console.Out.WriteLine($"Seq: {item.Sequence}");
                Console.Out.WriteLine($"Value: {BencodeJson.ToJson(item.DecodedValue())}");
                return ExitCodes.Ok;
            }

            var wanted = NodeId.FromHex(parse.GetValue(target)!);
            var immutable = await dht.GetImmutableAsync(wanted, ct).ConfigureAwait(false);
            if (immutable is null) return NotFound(dht, nodes, wanted, "immutable item");
            // BEP 44: the requester verifies the value against the target. The lookup already dropped answers that do not
            // hash to it; checking here too keeps what is printed tied to what was asked.
            if (DhtItem.ImmutableTarget(immutable.Value) != wanted) throw new DhtException($"the value found does not hash to {wanted.Hex}");
            Console.Out.WriteLine(BencodeJson.ToJson(immutable.DecodedValue()));
            return ExitCodes.Ok;
        });
    }

    /// <summary>Null when <paramref name="salt"/> fits BEP 44 and goes with a mutable item, else the usage error.</summary>
    internal static string? CheckSalt(string salt, bool mutable, string mutableOption)
    {
        if (!mutable) return $"--salt names a mutable item: it expects {mutableOption} too";
        var length = Encoding.UTF8.GetByteCount(salt);
        return length > DhtItem.MaxSaltLength ? $"--salt expects at most {DhtItem.MaxSaltLength} bytes (BEP 44), got {length}" : null;
    }

    /// <summary>Nothing found: a network failure when no node answered at all, else exit code 1 with one line.</summary>
    private static int NotFound(DhtNode dht, IReadOnlyList<string> nodes, NodeId target, string what)
    {
        DhtCommand.RequireAnAnswer(dht, nodes);
        Console.Error.WriteLine($"error: no {what} found for {target.Hex} ({dht.NodeCount} nodes answered, {dht.Stats.QueriesSent} queries sent)");
        return ExitCodes.Failed;
    }
}
