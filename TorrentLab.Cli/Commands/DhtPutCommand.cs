using System.CommandLine;
using System.Globalization;
using System.Text;
using TorrentLab.Bencode;
using TorrentLab.Cli.Display;
using TorrentLab.Dht;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab dht put &lt;value&gt;</c> and <c>dht put --key-file FILE [--salt TEXT] [--seq N] &lt;value&gt;</c>:
/// stores an item in the DHT (BEP 44 put to the closest nodes). An immutable put prints the target to get it by; a
/// mutable one, signed with the seed in the key file, prints <c>Public key:</c>, <c>Target:</c> and <c>Seq:</c>.</summary>
internal static class DhtPutCommand
{
    public static Command Create()
    {
        var value = new Argument<string>("value") { Description = "The value: text, stored as a bencoded string (with --bencode: bencode as is, e.g. i42e or l1:ae)" };
        var bencode = new Option<bool>("--bencode") { Description = "The value is bencode already (any bencoded value), not text" };
        var keyFile = new Option<string?>("--key-file") { Description = "Store a mutable item, signed with the Ed25519 seed in FILE (created, mode 0600, when missing)" }.FileNotFolder();
        var salt = new Option<string?>("--salt") { Description = "The mutable item's salt, as text (at most 64 bytes): one key, several items" };
        var seq = new Option<long?>("--seq") { Description = "The mutable item's sequence number (default: one more than the highest found, 1 when none)" };
        var bootstrap = DhtCommand.BootstrapOption();
        var state = DhtCommand.StateOption();
        var verbose = DhtCommand.VerboseOption();
        var port = DhtCommand.PortOption();
        var timeout = DhtCommand.TimeoutOption(30);
        var command = new Command("put", "Store an item in the DHT (BEP 44 put): immutable, or mutable with --key-file; at most 1000 bytes bencoded.")
        {
            value, bencode, keyFile, salt, seq, bootstrap, state, verbose, timeout, port,
        };
        command.Validators.Add(result =>
        {
            var mutable = result.GetValue(keyFile) is not null;
            if (result.GetValue(value) is { } text && ValueLength(text, result.GetValue(bencode)) is var length && length > DhtItem.MaxValueLength)
                result.AddError($"expected a value of at most {DhtItem.MaxValueLength} bytes bencoded (BEP 44), got {length}");
            if (result.GetValue(salt) is { } saltText && DhtGetCommand.CheckSalt(saltText, mutable, "--key-file") is { } badSalt) result.AddError(badSalt);
            // The token, not GetValue: a --seq that is no number already has its error, and GetValue would throw.
            if (result.GetResult(seq) is { Tokens: [var given, ..] }
                && long.TryParse(given.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            {
                if (!mutable) result.AddError($"--seq numbers a mutable item: it expects --key-file too, got --seq {n}");
                else if (n < 0) result.AddError($"--seq expects a number of 0 or more, got {n}");
            }
            foreach (var node in result.GetValue(bootstrap) ?? [])
                if (PeerAddress.Check(node, "--dht-bootstrap") is { } error) result.AddError(error);
        });
        return command.WithAction(async (parse, ct) =>
        {
            var bencoded = Bencoded(parse.GetValue(value)!, parse.GetValue(bencode));
            // BEP 44 stores bencode that re-encodes to the same bytes: strict decoding refuses the rest here, before the
            // network (an error of the input, exit code 3).
            BencodeDecoder.Decode(bencoded);
            byte[]? seed = null;
            if (parse.GetValue(keyFile) is { } path)
            {
                seed = DhtKeyFile.LoadOrCreate(path, out var created, out var keyError);
                if (seed is null)
                {
                    Console.Error.WriteLine($"error: {keyError}");
                    return ExitCodes.BadInput;
                }
                if (created) Console.Error.WriteLine($"created {path}: a new Ed25519 key (keep it: only it can update this item)");
                else if (DhtKeyFile.IsReadableByOthers(path)) Console.Error.WriteLine($"warning: {path} is readable by others; chmod 600 it");
            }

            var statePath = parse.GetValue(state);
            var nodes = DhtCommand.StartingNodes(parse.GetValue(bootstrap) ?? [], statePath);
            var refusals = new List<string>();
            var options = DhtCommand.NodeOptions(nodes, parse.GetValue(timeout), statePath, parse.GetValue(port)) with
            {
                Logger = new LineLogger(line =>
                {
                    // "put to <node>: <why>", where <why> names the node again: keep <why>.
                    if (line.StartsWith("put to ", StringComparison.Ordinal) && line.IndexOf(": ", StringComparison.Ordinal) is > 0 and var colon)
                        lock (refusals) refusals.Add(line[(colon + 2)..]);
                    if (parse.GetValue(verbose)) DhtCommand.LogLine(line);
                }),
            };
            await using var dht = await DhtCommand.StartNodeAsync(options, ct).ConfigureAwait(false);
            var put = seed is null
                ? await dht.PutImmutableAsync(bencoded, ct).ConfigureAwait(false)
                : await dht.PutMutableAsync(seed, bencoded, Encoding.UTF8.GetBytes(parse.GetValue(salt) ?? ""), parse.GetValue(seq), ct: ct).ConfigureAwait(false);
            if (put.Nodes == 0)
            {
                DhtCommand.RequireAnAnswer(dht, nodes);
                var why = refusals.Count > 0 ? $": {refusals[0]}" : " (none gave a write token)";
                Console.Error.WriteLine($"error: no node stored the item ({dht.NodeCount} nodes answered){why}");
                return ExitCodes.Failed;
            }
            var item = put.Item;
            if (item.IsMutable)
            {
                Console.Out.WriteLine($"Public key: {Convert.ToHexStringLower(item.PublicKey!)}");
                Console.Out.WriteLine($"Target: {item.Target.Hex}");
                Console.Out.WriteLine($"Seq: {item.Sequence}");
            }
            else
            {
                Console.Out.WriteLine(item.Target.Hex);
            }
            Console.Error.WriteLine($"stored by {put.Nodes} node(s)");
            return ExitCodes.Ok;
        });
    }

    /// <summary>The value's bytes as stored: the text's UTF-8 as a bencoded string (<c>hello</c> becomes
    /// <c>5:hello</c>), or, with <c>--bencode</c>, the text's UTF-8 as given.</summary>
    internal static byte[] Bencoded(string text, bool isBencode) =>
        isBencode ? Encoding.UTF8.GetBytes(text) : BencodeWriter.Encode(new BString(text));

    /// <summary>The length of <see cref="Bencoded"/> without building it (the usage check before anything else).</summary>
    private static int ValueLength(string text, bool isBencode)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        return isBencode ? bytes : bytes + bytes.ToString(CultureInfo.InvariantCulture).Length + 1; // "<length>:<bytes>"
    }
}
