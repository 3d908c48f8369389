using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;

namespace TorrentLab.Tests.Client;

/// <summary>Why no progress (<c>Client/TorrentHandle.Diagnosis.cs</c>, issue 81): each cause is scripted on loopback (a
/// dead tracker, a tracker's failure reason, a seed that only chokes, a peer with no piece, a blocklisted peer, a disk too
/// small, a peer that dials us, a peer that tells us our address (yourip), a trackerless torrent on a local DHT, a handshake that fails after naming the torrent, a paused torrent) and the
/// verdict and the finding are read back.</summary>
public class TorrentHandleDiagnosisTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static SessionSettings Loopback(IpBlocklist? blocklist = null) => TorrentSessionTests.Loopback() with { Blocklist = blocklist };

    private static async Task<ProgressDiagnosis> WaitForCauseAsync(TorrentHandle handle, StallCause cause)
    {
        ProgressDiagnosis? last = null;
        await Wait.UntilAsync(() => (last = handle.Diagnose()).Cause == cause, Patience,
            $"expected {cause}, the diagnosis stayed {handle.Diagnose().Cause}: {handle.Diagnose().Verdict}", Ct);
        return last!;
    }

    [Fact]
    public async Task Diagnose_TrackerOnAClosedPort_SaysTrackerUnreachable()
    {
        using var folder = new TempFolder();
        var closed = ClosedPort();
        var built = TestTorrents.SingleFile(announce: $"http://127.0.0.1:{closed}/announce", seed: 81);
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out") });
        handle.Start();

        var diagnosis = await WaitForCauseAsync(handle, StallCause.TrackersUnreachable);

        var tracker = Assert.Single(diagnosis.Trackers);
        Assert.Equal(FindingKind.TrackerUnreachable, tracker.Kind);
        Assert.Contains($":{closed}/announce", tracker.Subject, StringComparison.Ordinal);
        Assert.Contains("unreachable", diagnosis.Verdict, StringComparison.Ordinal);
        // The URL is the finding's subject, said once: the tracker error's message named it too.
        Assert.DoesNotContain("/announce", tracker.Text, StringComparison.Ordinal);
        Assert.Single(diagnosis.Verdict.Split("/announce")[1..]);
        Assert.Null(diagnosis.Dht); // the session runs no DHT
    }

    [Theory]
    [InlineData("torrent not allowed here", FindingKind.TrackerRefused)]
    [InlineData("unregistered torrent", FindingKind.TrackerUnregistered)] // the words private trackers use
    public async Task Diagnose_TrackerAnsweringAFailureReason_SaysRefusedWithItsWords(string reason, FindingKind kind)
    {
        using var folder = new TempFolder();
        await using var http = await LoopbackHttpServer.StartAsync(Ct);
        http.Put("/announce", Encoding.ASCII.GetBytes($"d14:failure reason{reason.Length}:{reason}e"), "text/plain"); // BEP 3
        var built = TestTorrents.SingleFile(announce: $"{http.Url}/announce", seed: 82);
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out") });
        handle.Start();

        var diagnosis = await WaitForCauseAsync(handle, StallCause.TrackersRefused);

        var tracker = Assert.Single(diagnosis.Trackers);
        Assert.Equal(kind, tracker.Kind);
        Assert.Contains(reason, tracker.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diagnose_SeedThatNeverUnchokes_SaysEveryPeerChokesUs()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: null, seed: 83);
        await using var seed = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload, SyntheticBehaviour.NeverUnchokes));
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out"), ExtraPeers = [seed.EndPoint] });
        handle.Start();

        var diagnosis = await WaitForCauseAsync(handle, StallCause.ChokedByPeers);

        var peer = Assert.Single(diagnosis.Peers);
        Assert.Equal(FindingKind.ChokedUs, peer.Kind);
        Assert.Equal(seed.EndPoint.ToString(), peer.Subject);
        Assert.Empty(diagnosis.Trackers); // a torrent without trackers
    }

    [Fact]
    public async Task Diagnose_PeerInTheBlocklist_SaysItWasNeverDialled()
    {
        using var folder = new TempFolder();
        var blocklist = new IpBlocklist();
        blocklist.Load(new MemoryStream(Encoding.ASCII.GetBytes("test peer:127.0.0.5-127.0.0.5\n")));
        var blocked = new IPEndPoint(IPAddress.Parse("127.0.0.5"), 6881);
        var built = TestTorrents.SingleFile(announce: null, seed: 84);
        await using var session = TorrentSession.Start(Loopback(blocklist));
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out"), ExtraPeers = [blocked] });
        handle.Start();

        var diagnosis = await WaitForCauseAsync(handle, StallCause.PeersUnreachable);

        var peer = Assert.Single(diagnosis.Peers);
        Assert.Equal(FindingKind.Blocklisted, peer.Kind);
        Assert.Equal("127.0.0.5:6881", peer.Subject);
        Assert.Contains("blocklist", diagnosis.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diagnose_PausedTorrent_SaysPausedWhateverItsTrackers()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(seed: 85);
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out") });
        await handle.PauseAsync();

        var diagnosis = handle.Diagnose();

        Assert.Equal(StallCause.Paused, diagnosis.Cause);
        Assert.Equal(TorrentState.Paused, diagnosis.State);
        Assert.Equal(FindingKind.Nothing, diagnosis.Reachability.Kind);
    }

    [Fact]
    public async Task Diagnose_PeerWithNoPiece_SaysNoPeerHasAPieceWeWant()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: null, seed: 87);
        await using var empty = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload) with { HasPieces = new HashSet<int>() });
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out"), ExtraPeers = [empty.EndPoint] });
        handle.Start();

        var diagnosis = await WaitForCauseAsync(handle, StallCause.PeersHaveNothing);

        var peer = Assert.Single(diagnosis.Peers);
        Assert.Equal(FindingKind.NothingWeWant, peer.Kind);
        Assert.Equal(empty.EndPoint.ToString(), peer.Subject);
        Assert.Contains("has a piece we want", diagnosis.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diagnose_APeerDialsUs_SaysOurPortIsReachable()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: null, seed: 88);
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out") });
        handle.Start();
        Assert.Equal(FindingKind.Nothing, handle.Diagnose().Reachability.Kind); // nobody came yet

        // Another session downloading the same torrent is told only our port: it dials us.
        await using var other = TorrentSession.Start(Loopback());
        var dialler = other.Add(built.Torrent, new DownloadOptions
        {
            OutputDirectory = folder.Combine("other"), ExtraPeers = [new IPEndPoint(IPAddress.Loopback, session.Port)],
        });
        dialler.Start();

        DiagnosisFinding? reached = null;
        await Wait.UntilAsync(() => (reached = handle.Diagnose().Reachability).Kind == FindingKind.Ok, Patience,
            $"the port's finding stayed: {handle.Diagnose().Reachability.Text}", Ct);
        Assert.Equal("port", reached!.Subject);
        Assert.Contains("connected to us", reached.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diagnose_PeerWeDialTellsUsOurAddress_SaysWhereItSeesUs()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: null, seed: 92);
        // A peer that stays connected (it never unchokes) and says in its BEP 10 handshake where it sees us (yourip);
        // the synthetic peer sends that handshake when it serves the metadata.
        await using var peer = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload, SyntheticBehaviour.NeverUnchokes)
            with { ServeMetadata = true });
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out"), ExtraPeers = [peer.EndPoint] });
        handle.Start();

        DiagnosisFinding? reached = null;
        await Wait.UntilAsync(() => (reached = handle.Diagnose().Reachability).Kind == FindingKind.Ok, Patience,
            $"the port's finding stayed: {handle.Diagnose().Reachability.Text}", Ct);
        // Only that someone sees us: no peer dialled us, so it is not told as our port reached.
        Assert.Equal($"{peer.EndPoint} sees us at 127.0.0.1 (yourip, BEP 10)", reached!.Text);
    }

    [Fact]
    public async Task Diagnose_DiskTooSmallForTheTorrent_SaysItsFilesCannotBeWritten()
    {
        using var folder = new TempFolder();
        using var disk = Tmpfs.Mount(folder.Combine("disk"), "1m");
        var built = TestTorrents.SingleFile(length: 3 << 20, announce: null, seed: 89); // three times the disk
        await using var seed = SyntheticPeer.Start(SyntheticPeerOptions.ForTorrent(built.Torrent, built.Payload));
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = Path.Combine(disk.Path, "out"), ExtraPeers = [seed.EndPoint] });
        handle.Start();

        var diagnosis = await WaitForCauseAsync(handle, StallCause.Disk);

        Assert.Equal(TorrentState.Failed, diagnosis.State);
        // The space check before the first write refuses it, with the figures.
        Assert.StartsWith("its files cannot be written: the torrent needs ", diagnosis.Verdict, StringComparison.Ordinal);
        Assert.Contains("are free on the filesystem", diagnosis.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diagnose_TrackerlessTorrentOnALocalDht_SaysWhatTheLookupsFound()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: null, seed: 91);
        await using var bootstrap = await LocalDht.StartNodeAsync(Ct);
        await using var seeder = await LocalDht.SeedAsync(built, folder.Combine("seed"), bootstrap, Ct);
        await using var session = TorrentSession.Start(Loopback() with { Dht = true, DhtBootstrap = [bootstrap.LocalEndPoint!.ToString()] });
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out") });
        handle.Start();

        // The DHT's finding says what its lookups found: the seeder, announced to the local node.
        DiagnosisFinding? dht = null;
        await Wait.UntilAsync(() => (dht = handle.Diagnose().Dht) is { Kind: FindingKind.Ok }, Patience,
            $"the DHT's finding stayed: {handle.Diagnose().Dht?.Text}", Ct);
        Assert.Equal("dht", dht!.Subject);
        Assert.Matches(@"^\d+ lookups?, [1-9]\d* new peers? found", dht.Text);
        Assert.Empty(handle.Diagnose().Trackers); // no tracker: the DHT is the only source
    }

    [Fact]
    public async Task Diagnose_IncomingHandshakeThatNamesTheTorrentThenCloses_IsAPeerTried()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(announce: null, seed: 86);
        await using var session = TorrentSession.Start(Loopback());
        var handle = session.Add(built.Torrent, new DownloadOptions { OutputDirectory = folder.Combine("out") });
        handle.Start();
        await Wait.UntilAsync(() => handle.State == TorrentState.Downloading, Patience, $"the torrent stayed {handle.State}", Ct);

        // A BEP 3 handshake up to the info hash, then the connection closes before the peer id.
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, session.Port, Ct);
            var head = new List<byte> { 19 };
            head.AddRange(Encoding.ASCII.GetBytes("BitTorrent protocol"));
            head.AddRange(new byte[8]);
            head.AddRange(built.Torrent.InfoHash.Bytes.ToArray());
            await client.GetStream().WriteAsync(head.ToArray(), Ct);
            var ours = new byte[68];
            await client.GetStream().ReadExactlyAsync(ours, Ct); // our handshake: the torrent was named and taken
            var local = ((IPEndPoint)client.Client.LocalEndPoint!).Port;
            client.Close();
            DiagnosisFinding? tried = null;
            await Wait.UntilAsync(() => (tried = handle.Diagnose().Peers.FirstOrDefault(p => p.Subject == $"127.0.0.1:{local}")) is not null,
                Patience, $"no finding for 127.0.0.1:{local}: {string.Join("; ", handle.Diagnose().Peers.Select(p => $"{p.Subject} {p.Kind} {p.Text}"))}", Ct);
            Assert.Equal(FindingKind.HandshakeFailed, tried!.Kind);
            Assert.StartsWith("incoming: ", tried.Text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("cannot connect (ConnectionRefused)", FindingKind.PeerUnreachable)]
    [InlineData("no TCP connection within 3 s", FindingKind.PeerUnreachable)]
    [InlineData("no uTP connection within 3 s", FindingKind.PeerUnreachable)]
    [InlineData("no complete encryption handshake within 3 s", FindingKind.Encryption)]
    [InlineData("started an encrypted (MSE/PE) handshake, but encryption is off", FindingKind.Encryption)]
    [InlineData("the peer closed the connection before the handshake", FindingKind.HandshakeFailed)]
    [InlineData("handshake: expected protocol name length 19 at byte 0, got 71", FindingKind.HandshakeFailed)]
    public void DialFailure_ReadsTheWireLayersWords(string reason, FindingKind kind) =>
        Assert.Equal(kind, PeerFindings.DialFailure(reason));

    /// <summary>A loopback port nothing listens on: bound, then released.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
