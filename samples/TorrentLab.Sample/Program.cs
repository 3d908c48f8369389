// TorrentLab's public API in one small program: open a .torrent file or a magnet link, download it in a session,
// show progress, check what is on disk, print the result. Usage:
//
//   dotnet run --project samples/TorrentLab.Sample -- <file.torrent | magnet:...> <folder> [--no-dht] [--peer HOST:PORT]...
//
// Exit code 0 when every piece is on disk and verified, 1 when not, 2 for a usage error.
using System.Net;
using TorrentLab;
using TorrentLab.Client;
using TorrentLab.Downloads;

var peers = new List<IPEndPoint>();
var dht = true;
var positional = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--no-dht") dht = false;
    else if (args[i] == "--peer" && i + 1 < args.Length && IPEndPoint.TryParse(args[++i], out var peer)) peers.Add(peer);
    else positional.Add(args[i]);
}
if (positional.Count != 2)
{
    Console.Error.WriteLine("usage: TorrentLab.Sample <file.torrent | magnet:...> <folder> [--no-dht] [--peer HOST:PORT]...");
    return 2;
}
var (source, folder) = (positional[0], Path.GetFullPath(positional[1]));

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); }; // Ctrl-C: the resume ledger is saved first

// What one torrent's download needs: the folder, and the peer sources. The session's settings (port, DHT) ride along.
var options = new DownloadOptions
{
    OutputDirectory = folder,
    ListenPort = 0,                              // any free port (a real client keeps one: 6881 is the default)
    Dht = dht,                                   // the Mainline DHT as one more peer source (public routers by default)
    ExtraPeers = peers,                          // peers to dial beside those the trackers give
    StallTimeout = TimeSpan.FromSeconds(60),     // give up after a minute without data (the default waits forever)
};

try
{
    // 1. Open: a .torrent is parsed; a magnet link's metadata is fetched from peers and checked against its info hash.
    var opened = await TorrentClient.OpenAsync(source, options, ct: stop.Token);
    var torrent = opened.Torrent;
    Console.WriteLine($"torrent: {torrent.Name}, {torrent.TotalLength} bytes in {torrent.Files.Count} file(s), {torrent.PieceCount} pieces, info hash {torrent.InfoHash.Hex}");

    // 2. A session: one peer port (TCP and uTP) and one DHT node, shared by every torrent added to it.
    await using var session = TorrentClient.StartSession(options.Session);
    Console.WriteLine($"session: listening on port {session.Port}");

    // 3. Download, with progress a few times a second (on stderr, so stdout holds the result).
    var progress = new Progress<DownloadProgress>(p =>
        Console.Error.WriteLine($"  {p.PiecesDone}/{p.PieceCount} pieces, {p.ConnectedPeers} peers, {p.DownloadRate / 1024:0} KiB/s"));
    var result = await TorrentClient.DownloadAsync(session, torrent, options with { ExtraPeers = [.. peers, .. opened.Peers] },
        progress, stop.Token);
    Console.WriteLine($"downloaded: {result.Downloaded} bytes in {result.Elapsed.TotalSeconds:0.00} s from {result.PeersUsed.Count} peer(s); " +
                      $"{result.PiecesFromResume} piece(s) were on disk already");
    foreach (var bad in result.BadPeers) Console.WriteLine($"dropped: {bad}");

    // 4. Check what is on disk against the piece hashes (the download did as it went; this is what `verify` does).
    var report = await TorrentClient.VerifyAsync(torrent, folder, writeLedger: false, stop.Token);
    Console.WriteLine($"verified: {report.Have.Count}/{torrent.PieceCount} pieces in {folder}");
    return report.IsComplete ? 0 : 1;
}
catch (TorrentLabException e)
{
    // Every layer's error (bad torrent, tracker, peers, disk) is one of these, with a message that says where and what.
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
