using System.CommandLine;
using System.Text;
using TorrentLab.Bencode;

namespace TorrentLab.Cli.Commands;

/// <summary><c>torrentlab decode &lt;bencoded&gt;</c>: prints the value as JSON (the classroom's first stage).</summary>
internal static class DecodeCommand
{
    public static Command Create()
    {
        var value = new Argument<string>("bencoded") { Description = "A bencoded value, e.g. 5:hello, i52e, l5:helloi52ee" };
        return new Command("decode", "Decode a bencoded value and print it as JSON.") { value }.WithAction((parse, _) =>
        {
            // Arguments arrive as text; UTF-8 gives back the bytes the student typed (lengths count bytes).
            var bytes = Encoding.UTF8.GetBytes(parse.GetValue(value)!);
            Console.Out.WriteLine(BencodeJson.ToJson(BencodeDecoder.Decode(bytes)));
            return ExitCodes.Ok;
        });
    }
}
