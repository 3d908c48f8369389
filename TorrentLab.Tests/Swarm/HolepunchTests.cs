using System.Diagnostics;
using System.Net;
using TorrentLab.Downloads;
using TorrentLab.Extensions;
using TorrentLab.Metainfo;
using TorrentLab.Swarm;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Utp;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Swarm;

/// <summary>The holepunch extension (BEP 55) in the swarm engine, on loopback: our relay answering rendezvous requests,
/// our target dialling on a connect, and our initiator asking the peer that named an unreachable address for help.
/// The NAT itself is in <see cref="HolepunchNamespaceTests"/>; the initiator's side (a peer PEX named that cannot be
/// dialled) runs on the simulated network, in <see cref="HolepunchSimulatedTests"/>.</summary>
public class HolepunchTests
{
    private const int PieceLength = 16 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DownloadOptions Options(string output, int listenPort = 0) => new()
    {
        Session = new SessionSettings
        {
            ListenPort = listenPort,
            BindAddresses = [IPAddress.Loopback],
            ConnectTimeout = TimeSpan.FromSeconds(2),
            HandshakeTimeout = TimeSpan.FromSeconds(3),
        },
        OutputDirectory = output,
        Trackers = [],
        StallTimeout = TimeSpan.FromSeconds(30),
    };

    private static IPEndPoint At(int port) => new(IPAddress.Loopback, port);

    [Fact]
    public async Task Relay_RendezvousForAConnectedPeer_SendsConnectToBothSides()
    {
        using var folder = new TempFolder("torrentlab-bep55");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        await using var relay = await Seeder.StartAsync(built.Torrent, Options(folder.Path), ct: Ct);
        await using var targetSocket = UtpSocket.Bind(At(0));
        var initiatorPort = ProcessRunner.FreeTcpPort();
        using var target = await RawPeer.ConnectAsync(At(relay.Port), built.Torrent, targetSocket);   // over uTP, as a NAT'd peer would
        // The relay knows the target speaks ut_holepunch once it has read the target's extension handshake, which it
        // may do after the initiator's rendezvous arrives on a loaded machine: wait for that state, not for a time.
        await Wait.UntilAsync(() => relay.Torrent.AwakeSwarm?.PeersSnapshot().Any(p => p.SupportsHolepunch) == true, TimeSpan.FromSeconds(60),
            "the relay never read the target's extension handshake", Ct);
        using var initiator = await RawPeer.ConnectAsync(At(relay.Port), built.Torrent, listenPort: initiatorPort);

        await initiator.SendAsync(HolepunchMessage.Rendezvous(targetSocket.LocalEndPoint));

        // The initiator is told to dial the target; the target to dial the initiator at its listen address (a TCP
        // connection's source port is no listening port).
        Assert.Equal(HolepunchMessage.Connect(targetSocket.LocalEndPoint), await initiator.ReceiveHolepunchAsync());
        Assert.Equal(HolepunchMessage.Connect(At(initiatorPort)), await target.ReceiveHolepunchAsync());
    }

    [Fact]
    public async Task Relay_RendezvousItCannotServe_AnswersWithTheErrorBep55Names()
    {
        using var folder = new TempFolder("torrentlab-bep55");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        await using var relay = await Seeder.StartAsync(built.Torrent, Options(folder.Path), ct: Ct);
        var initiatorPort = ProcessRunner.FreeTcpPort();
        var noHolepunchPort = ProcessRunner.FreeTcpPort();
        using var initiator = await RawPeer.ConnectAsync(At(relay.Port), built.Torrent, listenPort: initiatorPort);
        using var withoutHolepunch = await RawPeer.ConnectAsync(At(relay.Port), built.Torrent, listenPort: noHolepunchPort, holepunch: false);
        // The relay finds a target by the listen address its extension handshake gave: until it has read that, the
        // target is a peer it does not know (NotConnected, not NoSupport). Wait for that state, not for a time.
        await Wait.UntilAsync(() => relay.Torrent.AwakeSwarm?.PeersSnapshot().Any(p => At(noHolepunchPort).Equals(p.ListenEndPoint)) == true,
            TimeSpan.FromSeconds(60), "the relay never read the extension handshake of the peer without ut_holepunch", Ct);

        (IPEndPoint Target, HolepunchError Expected)[] cases =
        [
            (new IPEndPoint(IPAddress.Any, 6881), HolepunchError.NoSuchPeer),        // unspecified: no peer can be there
            (At(ProcessRunner.FreeTcpPort()), HolepunchError.NotConnected),          // nobody the relay knows
            (At(noHolepunchPort), HolepunchError.NoSupport),                         // connected, but it did not offer ut_holepunch
            (At(initiatorPort), HolepunchError.NoSelf),                              // the initiator's own listen address
        ];
        foreach (var (target, expected) in cases)
        {
            await initiator.SendAsync(HolepunchMessage.Rendezvous(target));
            Assert.Equal(HolepunchMessage.Failed(target, expected), await initiator.ReceiveHolepunchAsync());
        }
    }

    [Fact]
    public async Task Relay_FloodOfRendezvous_IsAnsweredOnlyUpToTheRateLimit()
    {
        using var folder = new TempFolder("torrentlab-bep55");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        await using var relay = await Seeder.StartAsync(built.Torrent, Options(folder.Path), ct: Ct);
        using var initiator = await RawPeer.ConnectAsync(At(relay.Port), built.Torrent, listenPort: ProcessRunner.FreeTcpPort());

        for (var i = 0; i < 30; i++) await initiator.SendAsync(HolepunchMessage.Rendezvous(At(40000 + i)));
        // A marker after the flood: the relay still reads us (it answers BEP 9), so everything before it was handled.
        await initiator.Channel.SendAsync(ExtensionRegistry.UtMetadata.Name, MetadataMessage.Request(0).Encode(), Ct);

        var answered = 0;
        for (var i = 0; i < 200; i++)
        {
            var message = await initiator.Connection.ReceiveAsync(Ct);
            if (message.Kind != MessageKind.Extended) continue;
            var name = initiator.Channel.Route(message);
            if (name == ExtensionRegistry.UtMetadata.Name) break;
            if (name == ExtensionRegistry.UtHolepunch.Name) answered++;
        }
        Assert.Equal(20, answered); // MaxHolepunchesPerMinute; the other ten were ignored
    }

    [Fact]
    public async Task Target_ConnectFromARelay_DialsThatEndpointOverUtp()
    {
        using var folder = new TempFolder("torrentlab-bep55");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        await using var seeder = await Seeder.StartAsync(built.Torrent, Options(folder.Path), ct: Ct);
        using var relay = await RawPeer.ConnectAsync(At(seeder.Port), built.Torrent, listenPort: ProcessRunner.FreeTcpPort());
        await using var initiator = UtpSocket.Bind(At(0));
        initiator.Listen();

        await relay.SendAsync(HolepunchMessage.Connect(initiator.LocalEndPoint));

        // A seeder does not dial PEX peers, and nothing else named this address: only the connect message can make it.
        await using var dialled = await initiator.AcceptAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.NotNull(dialled);
    }

    [Fact]
    public async Task Target_ConnectToALinkLocalOrBroadcastAddress_IsNotDialled()
    {
        using var folder = new TempFolder("torrentlab-bep55");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var seeder = await Seeder.StartAsync(built.Torrent, Options(folder.Path) with { Log = log.Enqueue }, ct: Ct);
        using var relay = await RawPeer.ConnectAsync(At(seeder.Port), built.Torrent, listenPort: ProcessRunner.FreeTcpPort());

        await relay.SendAsync(HolepunchMessage.Connect(IPEndPoint.Parse("169.254.1.1:6881")));
        await relay.SendAsync(HolepunchMessage.Connect(IPEndPoint.Parse("255.255.255.255:6881")));

        await Wait.UntilAsync(() => log.Count(l => l.Contains("ignored ut_holepunch connect", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(2, log.Count(l => l.Contains("ignored ut_holepunch connect", StringComparison.Ordinal)));
        Assert.DoesNotContain(log, l => l.Contains("holepunch: dialling", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Target_ConnectsNamingAnotherScopeOrOverTheRelaysBudget_AreNotDialledAndAnHonestOneIs()
    {
        using var folder = new TempFolder("torrentlab-bep55");
        var built = TestTorrents.SingleFile(8 * PieceLength, PieceLength, announce: null);
        built.WritePayload(folder.Path);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var seeder = await Seeder.StartAsync(built.Torrent, Options(folder.Path) with { Log = log.Enqueue }, ct: Ct);
        using var relay = await RawPeer.ConnectAsync(At(seeder.Port), built.Torrent, listenPort: ProcessRunner.FreeTcpPort());

        // The attack: a relay on loopback naming LAN, carrier-grade NAT and internet addresses (its scope is loopback).
        string[] elsewhere = ["10.0.0.50:22798", "192.168.1.1:6881", "100.64.0.1:6881", "203.0.113.9:6881", "[::ffff:10.0.0.50]:22798"];
        foreach (var target in elsewhere) await relay.SendAsync(HolepunchMessage.Connect(IPEndPoint.Parse(target)));
        // Then the honest part of BEP 55 on the relay's own scope: introductions up to its budget are dialled.
        var listeners = new List<UtpSocket>();
        try
        {
            for (var i = 0; i < HolepunchGate.MaxIntroductionsPerMinute + 1; i++)
            {
                var socket = UtpSocket.Bind(At(0));
                listeners.Add(socket);
                socket.Listen();
                await relay.SendAsync(HolepunchMessage.Connect(socket.LocalEndPoint));
            }
            for (var i = 0; i < HolepunchGate.MaxIntroductionsPerMinute; i++)
            {
                await using var dialled = await listeners[i].AcceptAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
                Assert.NotNull(dialled);
            }
            bool Ignored(string why) => log.Count(l => l.Contains("ignored ut_holepunch connect", StringComparison.Ordinal) && l.Contains(why, StringComparison.Ordinal)) > 0;
            await Wait.UntilAsync(() => Ignored("unasked a minute"), TimeSpan.FromSeconds(60), Ct); // polls the log, at most 60 s
            Assert.True(Ignored("unasked a minute"));
            Assert.Equal(elsewhere.Length, log.Count(l => l.Contains("not in the relay's address scope", StringComparison.Ordinal)));
            Assert.Equal(HolepunchGate.MaxIntroductionsPerMinute, log.Count(l => l.Contains("holepunch: dialling", StringComparison.Ordinal)));
            Assert.DoesNotContain(log, l => l.Contains("dialling 10.", StringComparison.Ordinal) || l.Contains("dialling 192.", StringComparison.Ordinal)
                || l.Contains("dialling 100.", StringComparison.Ordinal) || l.Contains("dialling 203.", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var socket in listeners) await socket.DisposeAsync();
        }
    }

    /// <summary>A raw connection with the extension bit set whose handshake offers ut_pex and (unless told not to)
    /// ut_holepunch, plays any side of BEP 55 by hand.</summary>
    /// <remarks>On the simulated network it is given the host's network and the run's clock (<paramref name="host"/>
    /// of <see cref="ConnectAsync"/>): its waits are then on virtual time.</remarks>
    internal sealed class RawPeer(PeerConnection connection, ExtensionChannel channel, TimeProvider time, CancellationToken ct) : IDisposable
    {
        public ExtensionChannel Channel => channel;
        public PeerConnection Connection => connection;

        public static async Task<RawPeer> ConnectAsync(IPEndPoint remote, Torrent torrent, UtpSocket? utp = null, int? listenPort = null, bool holepunch = true,
            (TorrentLab.Network.INetwork Network, TimeProvider Time)? host = null)
        {
            var ct = host is null ? Ct : CancellationToken.None;
            var options = new PeerConnectionOptions { PieceCount = torrent.PieceCount, AdvertiseExtensions = true, IdleTimeout = TimeSpan.FromSeconds(20) };
            if (host is var (network, clock)) options = options with { Network = network, Time = clock };
            var connection = utp is null
                ? await PeerConnection.ConnectAsync(remote, torrent.InfoHash, PeerId.CreateOurs(), options, ct)
                : await PeerConnection.ConnectAsync(remote, async token => await utp.ConnectAsync(remote, token), torrent.InfoHash, PeerId.CreateOurs(), options, ct);
            var ours = ExtensionHandshake.Ours(remote, listenPort ?? utp?.LocalEndPoint.Port, null, pex: true);
            if (!holepunch) ours = ours with { Messages = ours.Messages.Where(m => m.Key != ExtensionRegistry.UtHolepunch.Name).ToDictionary() };
            var raw = new RawPeer(connection, new ExtensionChannel(connection, ours), options.Time, ct);
            try
            {
                Assert.True(await raw.Channel.SendHandshakeAsync(ct));
                await raw.ReceiveAsync("handshake");
                return raw;
            }
            catch
            {
                raw.Dispose();
                throw;
            }
        }

        public ValueTask SendAsync(HolepunchMessage message) => channel.SendAsync(ExtensionRegistry.UtHolepunch.Name, message.Encode(), ct);

        public async Task<HolepunchMessage> ReceiveHolepunchAsync() =>
            HolepunchMessage.Decode((await ReceiveAsync(ExtensionRegistry.UtHolepunch.Name).WaitAsync(TimeSpan.FromSeconds(20), time, ct)).Payload.Span);

        /// <summary>Reads messages until an extension message routed as <paramref name="name"/> (at most 200 messages).</summary>
        public async Task<PeerMessage> ReceiveAsync(string name)
        {
            for (var i = 0; i < 200; i++)
            {
                var message = await connection.ReceiveAsync(ct);
                if (message.Kind == MessageKind.Extended && channel.Route(message) == name) return message;
            }
            throw new InvalidOperationException($"no {name} message in 200 messages");
        }

        public void Dispose() => connection.Dispose();
    }
}
