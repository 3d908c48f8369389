// TorrentLab's public API in one small program: a session, a .torrent file or a magnet link added to it, its alerts
// read until it completes, what is on disk checked, the result printed. Usage:
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
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); }; // Ctrl-C: the session pauses its torrents, ledgers saved

try
{
    // 1. A session: one peer port (TCP and uTP) and one DHT node, shared by every torrent added to it.
    await using var session = TorrentSession.Start(new SessionSettings
    {
        ListenPort = 0,   // any free port (a real client keeps one: 6881 is the default)
        Dht = dht,        // the Mainline DHT as one more peer source (public routers by default)
    });
    Console.WriteLine($"session: listening on port {session.Session.Port}");

    // 2. Add the torrent: a .torrent is parsed; a magnet link's metadata is fetched from peers and checked against its
    //    info hash, and its own peers (x.pe) and file selection (so=) are kept for the download.
    var handle = await session.AddAsync(source, new DownloadOptions
    {
        OutputDirectory = folder,
        ExtraPeers = peers,                          // peers to dial beside those the trackers give
        StallTimeout = TimeSpan.FromSeconds(60),     // give up after a minute without data (the default waits forever)
    }, stop.Token);
    var torrent = handle.Torrent;
    Console.WriteLine($"torrent: {torrent.Name}, {torrent.TotalLength} bytes in {torrent.Files.Count} file(s), {torrent.PieceCount} pieces, info hash {torrent.InfoHash.Hex}");

    // 3. What happens, in order, until it completes or fails (progress on stderr, so stdout holds the result).
    try
    {
        await foreach (var alert in session.Alerts.ReadAllAsync(stop.Token))
        {
            if (alert.Kind == TorrentAlertKind.PieceFinished && handle.Progress is { } p)
                Console.Error.WriteLine($"  {p.PiecesDone}/{p.PieceCount} pieces, {p.ConnectedPeers} peers, {p.DownloadRate / 1024:0} KiB/s");
            else if (alert.Kind == TorrentAlertKind.PeerBanned) Console.WriteLine($"dropped: {alert.Peer}: {alert.Message}");
            else if (alert.Kind == TorrentAlertKind.StateChanged && alert.State is TorrentState.Completed or TorrentState.Failed) break;
        }
    }
    catch (OperationCanceledException) { Console.Error.WriteLine("stopped"); }
    if (handle.Error is TorrentLabException failed) throw failed;
    Console.WriteLine($"{handle.State}: {handle.PiecesDone}/{torrent.PieceCount} pieces");

    // 4. Check what is on disk against the piece hashes (the download did as it went; this is what `verify` does).
    var report = await TorrentClient.VerifyAsync(torrent, folder, writeLedger: false, CancellationToken.None);
    Console.WriteLine($"verified: {report.Have.Count}/{torrent.PieceCount} pieces in {folder}");
    return report.IsComplete ? 0 : 1;
}
catch (TorrentLabException e)
{
    // Every layer's error (bad torrent, tracker, peers, disk) is one of these, with a message that says where and what.
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
