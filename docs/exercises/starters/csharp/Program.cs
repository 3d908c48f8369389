// Starter for the TorrentLab lab: reads the command the checker gives and says "not implemented" for each.
//
// Check it:  dotnet build -c Release -o out && torrentlab lab check -- dotnet out/Client.dll
// Replace one stub at a time, in the order of docs/exercises/README.md. Print answers on stdout, anything else on
// stderr. Bencode is bytes: read files with File.ReadAllBytes and the argument with Encoding.UTF8.GetBytes(arg).

static int NotImplemented(string command, params string[] args)
{
    Console.Error.WriteLine($"not implemented: {command} {string.Join(' ', args)}");
    return 1;
}

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Client <command> <arguments...>");
    return 2;
}
var command = args[0];
var rest = args[1..];
return command switch
{
    // decode <bencoded> (1-4); info <file.torrent> (5-7, 20); peers <file.torrent> (8); magnet_parse, magnet_handshake,
    // magnet_info <magnet-link> (12-14); merkle_root <file> (21)
    "decode" or "info" or "peers" or "magnet_parse" or "magnet_handshake" or "magnet_info" or "merkle_root" => NotImplemented(command, rest[0]),
    // handshake <file.torrent> <ip:port> (9)
    "handshake" => NotImplemented(command, rest[0], rest[1]),
    // download_piece -o <path> <file> <index> (10); download -o <path> <file> (11);
    // magnet_download_piece -o <path> <link> <index> (15, 22); magnet_download -o <path> <link> [--dht-bootstrap <ip:port>] (16, 19)
    "download_piece" or "download" or "magnet_download_piece" or "magnet_download" => NotImplemented(command, rest[1..]),
    // dht ping <ip:port> (17); dht get_peers <hash> --bootstrap <ip:port> (18)
    "dht" => NotImplemented(command, rest),
    _ => Unknown(command),
};

static int Unknown(string command)
{
    Console.Error.WriteLine($"unknown command: {command}");
    return 2;
}
