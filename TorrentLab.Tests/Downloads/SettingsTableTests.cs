using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.Logging;
using TorrentLab.Client;
using TorrentLab.Downloads;
using TorrentLab.Lab;
using TorrentLab.Swarm;
using TorrentLab.Tests.Client;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tests.Network;
using TorrentLab.Tests.Pieces;
using TorrentLab.Tests.Reference;
using TorrentLab.Tests.Reliability;
using TorrentLab.Tests.Storage;
using TorrentLab.Tests.Swarm;
using TorrentLab.Tests.Wire;
using TorrentLab.Tracker;
using TorrentLab.Wire;

namespace TorrentLab.Tests.Downloads;

/// <summary>Every public setting of <see cref="SessionSettings"/> and <see cref="DownloadOptions"/>, one row each: the
/// tests that prove it does what its summary says (named with <c>nameof</c>, so a renamed test breaks the build), and the
/// values refused with a clear error. The guard fails when a public setting has no row: a new setting cannot arrive
/// unproven.</summary>
public class SettingsTableTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A test elsewhere that proves a setting.</summary>
    private sealed record Proof(Type Class, string Method)
    {
        public override string ToString() => $"{Class.Name}.{Method}";
    }

    private static Proof P<T>(string method) => new(typeof(T), method);

    private static readonly Dictionary<string, Proof[]> Proofs = new()
    {
        // SessionSettings: what the session shares among its torrents.
        ["SessionSettings.ListenPort"] = [P<SettingsTableTests>(nameof(Session_HonoursItsPortAddressesPeerIdAndLog)), P<PeerListenerTests>(nameof(PeerListenerTests.Start_Both_ListensOnTcpAndUdpAtOnePortNumber_AndHandsBothKindsOfConnectionOn))],
        ["SessionSettings.PortFallback"] = [P<SettingsTableTests>(nameof(PortFallback_TakenPort_MovesOnlyWhenAllowed))],
        ["SessionSettings.BindAddresses"] = [P<SettingsTableTests>(nameof(Session_HonoursItsPortAddressesPeerIdAndLog)), P<PeerListenerTests>(nameof(PeerListenerTests.Start_SeveralAddresses_ListensOnEachOnTheSamePort))],
        ["SessionSettings.PeerId"] = [P<SettingsTableTests>(nameof(Session_HonoursItsPortAddressesPeerIdAndLog))],
        ["SessionSettings.Dht"] = [P<TorrentSwarmDhtTests>(nameof(TorrentSwarmDhtTests.DhtOff_StartsNoNode_AndBindsNoUdpPortForIt_ThoughABootstrapNodeIsGiven)), P<MagnetPeersTests>(nameof(MagnetPeersTests.XtOnlyLink_WithTheDhtOff_FailsSayingSo))],
        ["SessionSettings.Lsd"] = [P<SessionLsdTests>(nameof(SessionLsdTests.WithLsdOff_AnnouncesGiveNoPeer))],
        ["SessionSettings.PortMapping"] = [P<SessionPortMappingTests>(nameof(SessionPortMappingTests.TheExternalPortGranted_IsWhatTheTrackerHears_AndTheRoutersAddressIsTheDhts)), P<SessionPortMappingTests>(nameof(SessionPortMappingTests.PortMappingOff_StartsNoMapper_AndTheGatewayHearsNothing)), P<TorrentLab.Tests.PortMapping.MiniupnpdNamespaceTests>(nameof(TorrentLab.Tests.PortMapping.MiniupnpdNamespaceTests.OutsidePeer_ReachesOurSeederThroughTheMappedPort_AndTheMappingIsGoneAfterStop))],
        ["SessionSettings.Proxy"] = [P<TorrentLab.Tests.Proxy.Socks5NamespaceTests>(nameof(TorrentLab.Tests.Proxy.Socks5NamespaceTests.DownloadThroughDante_GoesByUdpAssociateAndConnect_AndNothingLeavesDirectly)), P<TorrentLab.Tests.Proxy.Socks5NamespaceTests>(nameof(TorrentLab.Tests.Proxy.Socks5NamespaceTests.DownloadThroughMicrosocks_WithUserAndPassword_GoesOverTcp_AndTheRefusedUdpIsNeverSentDirect)), P<TorrentLab.Tests.Proxy.Socks5NamespaceTests>(nameof(TorrentLab.Tests.Proxy.Socks5NamespaceTests.SeedThroughDante_DialsTheOutsideLeecher_WhichDownloadsEverything_AndNothingLeavesDirectly))],
        ["SessionSettings.DhtBootstrap"] = [P<TorrentSwarmDhtTests>(nameof(TorrentSwarmDhtTests.TrackerlessTorrent_DownloadsFromASeederFoundThroughTheDht_AndSavesTheRoutingTableBesideTheLedgers))],
        ["SessionSettings.DhtStatePath"] = [P<TorrentSwarmDhtTests>(nameof(TorrentSwarmDhtTests.Restart_WithNoBootstrapNode_FindsPeersThroughTheSavedRoutingTable)), P<SessionTests>(nameof(SessionTests.TwoSessions_GivenOneStateFile_JoinTheDhtWithDifferentNodeIds))],
        ["SessionSettings.Encryption"] = [P<PeerConnectionOpenTests>(nameof(PeerConnectionOpenTests.AcceptAsync_RequireRefusesAPlaintextHandshake)), P<PeerConnectionOpenTests>(nameof(PeerConnectionOpenTests.ConnectAsync_PreferToAPlaintextOnlyPeer_RedialsInPlaintext))],
        ["SessionSettings.Transport"] = [P<TorrentSwarmTransportTests>(nameof(TorrentSwarmTransportTests.SwarmDownload_FromOurUtpOnlySeeder_CompletesOverUtpAndTheTraceSaysSo)), P<TorrentSwarmTransportTests>(nameof(TorrentSwarmTransportTests.SwarmDownload_BothFromATcpOnlySeeder_ConnectsOverTcpOnly))],
        ["SessionSettings.DialTcpFirst"] = [P<TorrentSwarmTransportTests>(nameof(TorrentSwarmTransportTests.SwarmDownload_TcpFirstFromAUtpOnlySeeder_ConnectsOverUtp))],
        ["SessionSettings.PeerScope"] = [P<SettingsTableTests>(nameof(PeerScope_Loopback_KeepsOnlyLoopbackPeers_AloneOrInASession))],
        ["SessionSettings.Blocklist"] = [P<SessionBlocklistTests>(nameof(SessionBlocklistTests.ADownload_NeverDialsAPeerInsideTheBlockedRange_AndGetsItsDataFromTheNeighbourJustOutside)), P<SessionBlocklistTests>(nameof(SessionBlocklistTests.AConnectionFromInsideTheBlockedRange_IsClosedAtAcceptWithoutAByte_AndTheNeighbourIsAnswered)), P<PeerBookTests>(nameof(PeerBookTests.Add_AddressesInTheBlocklist_AreRefusedFromEverySource_AndOneBlockedOnceAdded_IsNeverTaken))],
        ["SessionSettings.BindInterface"] = [P<BoundNetworkTests>(nameof(BoundNetworkTests.ConnectAsync_InterfaceDown_RefusedWithALine_NothingReachesTheListener)), P<BoundSessionTests>(nameof(BoundSessionTests.InterfaceMissingAtStart_AnnounceSkippedWithTheReason_ThenOneAlertEachWay)), P<BindInterfaceNamespaceTests>(nameof(BindInterfaceNamespaceTests.DownloadBoundToTheVpnLink_SendsNothingByWanWhileItIsDown_AndCompletesWhenItIsBack))],
        ["SessionSettings.ClientBans"] = [P<PeerRulesSwarmTests>(nameof(PeerRulesSwarmTests.APeerIdWithABannedPrefix_IsClosedRightAfterItsHandshake_AndBanned_WhileAnotherClientIsServed)), P<PeerRulesSwarmTests>(nameof(PeerRulesSwarmTests.APeerWhoseExtensionHandshakeNamesABannedClient_IsDropped_AndNeverUnchoked)), P<PeerRulesInteropTests>(nameof(PeerRulesInteropTests.ALibtorrentPeer_IsBannedByTheRuleLT_AndServedWithoutIt))],
        ["SessionSettings.MaxConnections"] = [P<SessionTests>(nameof(SessionTests.SessionFullOfIdlePeers_MakesRoomForAnHonestDownloader_AndCountsEveryConnectionOnce))],
        ["SessionSettings.GlobalUploadSlots"] = [P<SessionTests>(nameof(SessionTests.UploadSlots_AreAFairShareOfTheSessions_AmongTheTorrentsWithPeers))],
        ["SessionSettings.MaxOpenFiles"] = [P<OpenFileBudgetTests>(nameof(OpenFileBudgetTests.AFullBudget_ClosesTheLeastRecentlyUsedHandle_AndItsFileOpensAgainWhenNextUsed))],
        ["SessionSettings.DownloadLimit"] = [P<SessionLimitTests>(nameof(SessionLimitTests.DownloadAsync_TwoTorrentsUnderASessionCap_TakeTogetherWhatTheSessionsBucketEarnsAndNoMore)), P<TorrentClientSettingsTests>(nameof(TorrentClientSettingsTests.DownloadAsync_SingleInASessionWithAGlobalLimit_IsRefused))],
        ["SessionSettings.UploadLimit"] = [P<SessionLimitTests>(nameof(SessionLimitTests.Start_WithoutLimits_HasUnlimitedOnesToSetWhileItRuns)), P<TorrentSwarmTimerSimulatedTests>(nameof(TorrentSwarmTimerSimulatedTests.ChokingRound_AnUploadCapNotFilled_OpensASlotForAWaitingPeerAtTheSlotRuleNextRound_WithinTenSeconds))],
        ["SessionSettings.ConnectTimeout"] = [P<SettingsTableTests>(nameof(ConnectTimeout_ReachesEveryDialOfTheSession))],
        ["SessionSettings.HandshakeTimeout"] = [P<PeerConnectionOpenTests>(nameof(PeerConnectionOpenTests.AcceptAsync_PeerStallingMidKeyExchange_TimesOutNamingTheEncryptionHandshake))],
        ["SessionSettings.IdleTimeout"] = [P<TorrentSwarmTimerTests>(nameof(TorrentSwarmTimerTests.IdleTimeout_AChokedSilentPeer_IsKeptPastBep3sTwoMinutes_AndDroppedAtTheSessionsLimit_NotBefore))],
        ["SessionSettings.LoggerFactory"] = [P<SettingsTableTests>(nameof(Session_HonoursItsPortAddressesPeerIdAndLog)),
            P<SettingsTableTests>(nameof(LoggerFactory_TorrentWithoutALoggerOfItsOwn_LogsUnderItsLayersCategory_AndOneWithItsOwnLogsThereOnly))],
        ["SessionSettings.Trace"] = [P<SettingsTableTests>(nameof(SessionTrace_SeesAnIncomingHandshakeItRefuses))],

        // DownloadOptions: one torrent's own settings.
        ["DownloadOptions.Session"] = [P<SettingsTableTests>(nameof(ReferencePath_InASession_DialsWithTheSessionsSettings)), P<TorrentSessionTests>(nameof(TorrentSessionTests.AddAsync_SessionSettingsOnTheTorrent_AreRefusedRatherThanIgnored))],
        ["DownloadOptions.OutputDirectory"] = [P<ReferenceDownloadTests>(nameof(ReferenceDownloadTests.RunAsync_OneNormalSeederFromTheTracker_DownloadsEveryFileExactly))],
        ["DownloadOptions.Resume"] = [P<ReferenceDownloadTests>(nameof(ReferenceDownloadTests.RunAsync_NoResume_IgnoresTheLedgerAndDownloadsEverythingAgain))],
        ["DownloadOptions.Overwrite"] = [P<FileOwnershipTests>(nameof(FileOwnershipTests.CheckAsync_Overwrite_AdoptsAnything))],
        ["DownloadOptions.MaxPeers"] = [P<SwarmDownloadTests>(nameof(SwarmDownloadTests.RunAsync_RoomForOnePeer_DialsTheGivenPeerOfHighestBep40PriorityFirst)), P<SettingsTableTests>(nameof(Engine_FollowsMaxPeersOnlyWhenAuto))],
        ["DownloadOptions.Engine"] = [P<SettingsTableTests>(nameof(Engine_FollowsMaxPeersOnlyWhenAuto)), P<TorrentClientSettingsTests>(nameof(TorrentClientSettingsTests.DownloadAsync_SingleUnsupportedCombination_IsRefusedBeforeAnythingIsWritten))],
        ["DownloadOptions.Trackers"] = [P<ReferenceDownloadTests>(nameof(ReferenceDownloadTests.RunAsync_PeerThatLackedThePieceGetsItLater_IsTriedAgainAfterTheOthers))],
        ["DownloadOptions.ExtraPeers"] = [P<SwarmDownloadTests>(nameof(SwarmDownloadTests.RunAsync_RoomForOnePeer_DialsTheGivenPeerOfHighestBep40PriorityFirst))],
        ["DownloadOptions.RequestsPerPeer"] = [P<ReferenceDownloadTests>(nameof(ReferenceDownloadTests.RunAsync_CancelledPartWay_SavesTheLedgerAndASecondRunFetchesOnlyTheRest))],
        ["DownloadOptions.StallTimeout"] = [P<TorrentSwarmTimerSimulatedTests>(nameof(TorrentSwarmTimerSimulatedTests.Stall_NoBlockForTheStallTimeout_FailsTheDownloadThen_NotBefore)), P<MagnetPeersTests>(nameof(MagnetPeersTests.LinkWithATrackerThatNeverHasAPeer_GivesUpAtTheStallTimeoutSayingWhy))],
        ["DownloadOptions.LedgerInterval"] = [P<ResumeSaverTests>(nameof(ResumeSaverTests.Saver_WhereTheBootIsUnknown_EveryIntervalAndOnDispose_FlushesThenSavesWhatChanged))],
        ["DownloadOptions.RequestTimeout"] = [P<TorrentSwarmTimerSimulatedTests>(nameof(TorrentSwarmTimerSimulatedTests.RequestTimeout_ARequestLeftUnanswered_IsCancelledOnceTheTimeoutHasPassed_NotBefore))],
        ["DownloadOptions.Waiting"] = [P<MagnetPeersTests>(nameof(MagnetPeersTests.LinkWithATrackerThatHasNoPeerYet_WaitsAndAsksAgain_UntilTheSeederAnnounces))],
        ["DownloadOptions.Checking"] = [P<SettingsTableTests>(nameof(Checking_DataOnDiskWithoutALedger_IsToldEveryByteRehashed))],
        ["DownloadOptions.IdlePeerGrace"] = [P<SessionTests>(nameof(SessionTests.SessionFullOfIdlePeers_MakesRoomForAnHonestDownloader_AndCountsEveryConnectionOnce))],
        ["DownloadOptions.SnubTimeout"] = [P<TorrentSwarmTimerSimulatedTests>(nameof(TorrentSwarmTimerSimulatedTests.Snubbing_APeerThatUnchokedUsAndSendsNoBlock_IsSnubbedOnceTheSnubTimeoutHasPassed_NotBefore))],
        ["DownloadOptions.UploadSlots"] = [P<TorrentSwarmTimerSimulatedTests>(nameof(TorrentSwarmTimerSimulatedTests.ChokingRound_AnUploadCapNotFilled_OpensASlotForAWaitingPeerAtTheSlotRuleNextRound_WithinTenSeconds)), P<TorrentSwarmTimerSimulatedTests>(nameof(TorrentSwarmTimerSimulatedTests.UploadSlots_ASeedWithoutALimit_OpensMoreThanFourWhileEveryPeerTakesItsShare_AndClosesThemWhenTheyStopAsking)), P<SessionTests>(nameof(SessionTests.UploadSlots_AreAFairShareOfTheSessions_AmongTheTorrentsWithPeers))],
        ["DownloadOptions.SeedAfterDownload"] = [P<SeedingTorrentTests>(nameof(SeedingTorrentTests.DownloadThenSeed_LetsItsSwarmAndFilesGoOnceThePeerLeaves_AndSeedsAgainOnDemand))],
        ["DownloadOptions.SuperSeed"] = [P<SuperSeedTests>(nameof(SuperSeedTests.SuperSeeder_SaysHaveNoneThenRevealsADifferentPieceToEachPeer))],
        ["DownloadOptions.SeedRatio"] = [P<SettingsTableTests>(nameof(SeedRatio_Zero_EndsTheRunOnceTheDownloadIsComplete))],
        ["DownloadOptions.SeedIdleTime"] = [P<SeedingTorrentIdleTests>(nameof(SeedingTorrentIdleTests.IdleLimit_AnUploadStartsItAgain_ThenItEndsTheSeedingThatLongAfterTheLastUpload))],
        ["DownloadOptions.SeedTime"] = [P<TorrentLab.Tests.Web.TorrentApiParityTests>(nameof(TorrentLab.Tests.Web.TorrentApiParityTests.Seeding_DefaultOnWithATimeLimit_SeedsAfterCompletionThenStops))],
        ["DownloadOptions.DownloadLimit"] = [P<SwarmRateLimitTests>(nameof(SwarmRateLimitTests.RunAsync_DownloadLimitOnAClockThatMovesOnlyWhenTold_TakesWhatTheBucketEarnsEachStepAndNoMore))],
        ["DownloadOptions.UploadLimit"] = [P<TorrentSwarmTimerSimulatedTests>(nameof(TorrentSwarmTimerSimulatedTests.ChokingRound_AnUploadCapNotFilled_OpensASlotForAWaitingPeerAtTheSlotRuleNextRound_WithinTenSeconds))],
        ["DownloadOptions.Logger"] = [P<SwarmHostilePeerTests>(nameof(SwarmHostilePeerTests.EveryPeerThatEnds_EndsWithAReasonInTheLog)),
            P<SettingsTableTests>(nameof(LoggerFactory_TorrentWithoutALoggerOfItsOwn_LogsUnderItsLayersCategory_AndOneWithItsOwnLogsThereOnly))],
        ["DownloadOptions.Trace"] = [P<TorrentSwarmTransportTests>(nameof(TorrentSwarmTransportTests.SwarmDownload_FromOurUtpOnlySeeder_CompletesOverUtpAndTheTraceSaysSo))],
        ["DownloadOptions.FilePriorities"] = [P<TorrentSessionTests>(nameof(TorrentSessionTests.Handle_FilePrioritiesChangedWhileDownloading_FetchesTheFileSkippedBefore)), P<FileSelectionInteropTests>(nameof(FileSelectionInteropTests.DownloadAsync_ReferencePath_OneFileFromLibtorrent_FetchesOnlyItsPieces))],
        ["DownloadOptions.Sequential"] = [P<PieceManagerTests>(nameof(PieceManagerTests.FillRequests_SequentialPicker_Hands16KiBBlocksInOrderUpToThePipelineDepth))],
    };

    private static IEnumerable<string> PublicSettings() =>
        new[] { typeof(SessionSettings), typeof(DownloadOptions) }.SelectMany(type =>
            type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.Name != "EqualityContract")
                .Select(p => $"{type.Name}.{p.Name}"));

    [Fact]
    public void EveryPublicSetting_HasARowNamingItsProof_AndEveryRowIsAPublicSetting()
    {
        var settings = PublicSettings().ToHashSet();
        var unproven = settings.Where(s => !Proofs.ContainsKey(s)).Order().ToList();
        var stale = Proofs.Keys.Where(k => !settings.Contains(k)).Order().ToList();
        Assert.True(unproven.Count == 0, $"public settings without a row in {nameof(SettingsTableTests)}: {string.Join(", ", unproven)}");
        Assert.True(stale.Count == 0, $"rows naming no public setting: {string.Join(", ", stale)}");
    }

    [Fact]
    public void EveryProof_IsATestThatRuns()
    {
        var broken = new List<string>();
        foreach (var (setting, proofs) in Proofs)
        {
            if (proofs.Length == 0) broken.Add($"{setting}: no proof");
            foreach (var proof in proofs)
            {
                var method = proof.Class.GetMethod(proof.Method, BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);
                var fact = method?.GetCustomAttribute<FactAttribute>(); // [Theory] is a [Fact] too
                if (fact is null) broken.Add($"{setting}: {proof} is not a test");
                else if (fact.Skip is not null) broken.Add($"{setting}: {proof} is skipped");
            }
        }
        Assert.True(broken.Count == 0, string.Join("; ", broken));
    }

    /// <summary>A value each setting refuses, and what the error names.</summary>
    public static TheoryData<string, Func<SessionSettings, SessionSettings>> RefusedSessionValues => new()
    {
        { "ListenPort", s => s with { ListenPort = 65536 } },
        { "ListenPort", s => s with { ListenPort = -1 } },
        { "BindAddresses", s => s with { BindAddresses = [] } },
        { "DhtBootstrap", s => s with { DhtBootstrap = [""] } },
        { "Encryption", s => s with { Encryption = (EncryptionPolicy)42 } },
        { "Transport", s => s with { Transport = (PeerTransport)42 } },
        { "PeerScope", s => s with { PeerScope = (PeerScope)42 } },
        { "PortMapping", s => s with { PortMapping = (TorrentLab.PortMapping.PortMappingProtocols)8 } },
        { "Proxy", s => s with { Proxy = new TorrentLab.Proxy.Socks5Proxy("127.0.0.1", 1080) { UserName = "alice" } } }, // no password
        { "Lsd", s => s with { Proxy = new TorrentLab.Proxy.Socks5Proxy("127.0.0.1", 1080) { Only = true }, Lsd = true } },
        { "PortMapping", s => s with { Proxy = new TorrentLab.Proxy.Socks5Proxy("127.0.0.1", 1080) { Only = true }, PortMapping = TorrentLab.PortMapping.PortMappingProtocols.Upnp } },
        { "MaxConnections", s => s with { MaxConnections = 0 } },
        { "GlobalUploadSlots", s => s with { GlobalUploadSlots = 0 } },
        { "MaxOpenFiles", s => s with { MaxOpenFiles = -1 } },
        { "ConnectTimeout", s => s with { ConnectTimeout = TimeSpan.Zero } },
        { "HandshakeTimeout", s => s with { HandshakeTimeout = TimeSpan.FromSeconds(-1) } },
        { "IdleTimeout", s => s with { IdleTimeout = TimeSpan.Zero } },
    };

    [Theory]
    [MemberData(nameof(RefusedSessionValues))]
    public void SessionStart_ASettingOutOfRange_IsRefusedNamingIt_BeforeAnyPortIsBound(string setting, Func<SessionSettings, SessionSettings> change)
    {
        var settings = change(Loopback());

        var error = Assert.ThrowsAny<ArgumentException>(() => Session.Start(settings));

        Assert.Equal(setting, error.ParamName);
        Assert.StartsWith($"{setting}: ", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Func<DownloadOptions, DownloadOptions>> RefusedTorrentValues => new()
    {
        { "OutputDirectory", o => o with { OutputDirectory = " " } },
        { "MaxPeers", o => o with { MaxPeers = 0 } },
        { "Engine", o => o with { Engine = (DownloadEngine)42 } },
        { "RequestsPerPeer", o => o with { RequestsPerPeer = 0 } },
        { "StallTimeout", o => o with { StallTimeout = TimeSpan.Zero } },
        { "LedgerInterval", o => o with { LedgerInterval = TimeSpan.Zero } },
        { "RequestTimeout", o => o with { RequestTimeout = TimeSpan.FromSeconds(-1) } },
        { "IdlePeerGrace", o => o with { IdlePeerGrace = TimeSpan.FromSeconds(-1) } },
        { "SnubTimeout", o => o with { SnubTimeout = TimeSpan.Zero } },
        { "UploadSlots", o => o with { UploadSlots = 0 } },
        { "SeedRatio", o => o with { SeedRatio = -0.5 } },
        { "SeedRatio", o => o with { SeedRatio = double.NaN } },
        { "SeedTime", o => o with { SeedTime = TimeSpan.FromSeconds(-1) } },
        { "SeedIdleTime", o => o with { SeedIdleTime = TimeSpan.FromSeconds(-1) } },
        { "ExtraPeers", o => o with { ExtraPeers = [null!] } },
    };

    [Theory]
    [MemberData(nameof(RefusedTorrentValues))]
    public async Task EveryWayInForATorrent_ASettingOutOfRange_IsRefusedNamingIt_BeforeAnythingIsWritten(string setting, Func<DownloadOptions, DownloadOptions> change)
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);
        built.WritePayload(folder.Combine("data"));
        var options = change(new DownloadOptions { OutputDirectory = folder.Combine("out") });
        await using var session = TorrentSession.Start(Loopback());

        var errors = new List<ArgumentException>
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(() => TorrentClient.DownloadAsync(built.Torrent, options, null, Ct)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Seeder.StartAsync(session.Session, built.Torrent, options with { OutputDirectory = string.IsNullOrWhiteSpace(options.OutputDirectory) ? options.OutputDirectory : folder.Combine("data") }, allowPartial: false, Ct)),
            Assert.ThrowsAny<ArgumentException>(() => session.Add(built.Torrent, options)),
        };

        Assert.All(errors, e => Assert.Equal(setting, e.ParamName));
        Assert.False(Directory.Exists(folder.Combine("out")), "the refused download wrote its folder");
        Assert.Empty(session.Torrents);
    }

    [Fact]
    public async Task Session_HonoursItsPortAddressesPeerIdAndLog()
    {
        var id = PeerId.CreateOurs();
        var logs = new RecordingLoggerFactory(LogLevel.Information);
        await using var session = Session.Start(Loopback() with { PeerId = id, LoggerFactory = logs });

        Assert.Equal(id, session.PeerId);
        Assert.NotEqual(0, session.Port); // 0 asked for any free port, and one was bound
        Assert.All(session.EndPoints, e => Assert.Equal(IPAddress.Loopback, e.Address));
        using var dial = new TcpClient();
        await dial.ConnectAsync(IPAddress.Loopback, session.Port, Ct); // the port is really ours, on the address asked for
        Assert.True(logs.Has("TorrentLab.Session", LogLevel.Information, l => l.StartsWith($"listening on 127.0.0.1:{session.Port}", StringComparison.Ordinal)),
            string.Join("\n", logs.Entries));
    }

    [Fact]
    public async Task LoggerFactory_TorrentWithoutALoggerOfItsOwn_LogsUnderItsLayersCategory_AndOneWithItsOwnLogsThereOnly()
    {
        using var folder = new TempFolder();
        var first = TestTorrents.SingleFile(length: 40_000, name: "first.bin", seed: 81);
        var second = TestTorrents.SingleFile(length: 40_000, name: "second.bin", seed: 82);
        first.WritePayload(folder.Path);
        second.WritePayload(folder.Path);
        var logs = new RecordingLoggerFactory();
        var own = new RecordingLoggerFactory();
        await using var session = Session.Start(Loopback() with { LoggerFactory = logs });

        await using (await Seeder.StartAsync(session, first.Torrent, new DownloadOptions { OutputDirectory = folder.Path }, allowPartial: false, Ct))
        await using (await Seeder.StartAsync(session, second.Torrent, new DownloadOptions { OutputDirectory = folder.Path, Logger = own.CreateLogger("mine") },
            allowPartial: false, Ct))
        {
            Assert.True(logs.Has("TorrentLab.Swarm", LogLevel.Debug, l => l.Contains("verifying 'first.bin'", StringComparison.Ordinal)), string.Join("\n", logs.Entries));
            Assert.True(own.Has("mine", LogLevel.Debug, l => l.Contains("verifying 'second.bin'", StringComparison.Ordinal)), string.Join("\n", own.Entries));
            Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("second.bin", StringComparison.Ordinal));
        }

        // A factory that takes Information and above gets the session's lines only: the engine formats no Debug line for it.
        var quiet = new RecordingLoggerFactory(LogLevel.Information);
        await using var other = Session.Start(Loopback() with { LoggerFactory = quiet });
        await using (await Seeder.StartAsync(other, first.Torrent, new DownloadOptions { OutputDirectory = folder.Path }, allowPartial: false, Ct))
            Assert.All(quiet.Entries, e => Assert.Equal(("TorrentLab.Session", LogLevel.Information), (e.Category, e.Level)));
        Assert.NotEmpty(quiet.Entries);
    }

    [Fact]
    public async Task PortFallback_TakenPort_MovesOnlyWhenAllowed()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        Assert.Throws<SwarmException>(() => Session.Start(Loopback() with { ListenPort = port, PortFallback = false }));
        await using var moved = Session.Start(Loopback() with { ListenPort = port, PortFallback = true });

        Assert.NotEqual(port, moved.Port);
    }

    [Theory]
    [InlineData(DownloadEngine.Auto, 1, DownloadEngine.Reference)]
    [InlineData(DownloadEngine.Auto, 2, DownloadEngine.Swarm)]
    [InlineData(DownloadEngine.Swarm, 1, DownloadEngine.Swarm)]      // named, it wins over MaxPeers
    [InlineData(DownloadEngine.Reference, 50, DownloadEngine.Reference)]
    public void Engine_FollowsMaxPeersOnlyWhenAuto(DownloadEngine engine, int maxPeers, DownloadEngine expected)
    {
        Assert.Equal(expected, TorrentClient.EngineFor(new DownloadOptions { OutputDirectory = "out", Engine = engine, MaxPeers = maxPeers }));
    }

    [Fact]
    public async Task Checking_DataOnDiskWithoutALedger_IsToldEveryByteRehashed()
    {
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 100_000, announce: null);
        built.WritePayload(folder.Path);
        var told = new Told();

        var start = await TorrentClient.PrepareAsync(null, built.Torrent, new DownloadOptions { OutputDirectory = folder.Path, Checking = told }, Ct);

        Assert.True(start.Have.IsComplete);
        Assert.Equal(built.Torrent.TotalLength, told.Last);
    }

    [Fact]
    public async Task PeerScope_Loopback_KeepsOnlyLoopbackPeers_AloneOrInASession()
    {
        // The peers a magnet link names are filtered before anything is dialled (nothing is dialled here): a
        // documentation address (RFC 5737) is outside the loopback scope, 127.0.0.1 inside it.
        var built = TestTorrents.SingleFile(announce: null);
        var link = TorrentLab.Magnet.MagnetLink.Parse($"magnet:?xt=urn:btih:{built.Torrent.InfoHash.Hex}&x.pe=192.0.2.1:6881&x.pe=127.0.0.1:6881");
        var alone = TorrentClient.PeerFinding(null).WithSession(s => s with { Dht = false, PeerScope = PeerScope.Loopback });
        await using var session = Session.Start(Loopback()); // its scope is loopback; the torrent's options say nothing

        var ownSession = await MagnetPeers.FindAsync(link, PeerId.CreateOurs(), 6881, alone, Ct);
        var inSession = await MagnetPeers.FindAsync(link, PeerId.CreateOurs(), 6881, TorrentClient.PeerFinding(null), Ct, session);

        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 6881)], ownSession);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 6881)], inSession);
    }

    [Fact]
    public async Task ReferencePath_InASession_DialsWithTheSessionsSettings()
    {
        // A single-peer download in a session joins no swarm but dials as the session says: its peer id, and with
        // encryption off a plain BEP 3 handshake (the default, prefer, would open with an MSE key instead).
        using var folder = new TempFolder();
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);
        var id = PeerId.CreateOurs();
        await using var session = Session.Start(Loopback() with { PeerId = id, Encryption = EncryptionPolicy.Off });
        using var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var options = new DownloadOptions
        {
            OutputDirectory = folder.Combine("out"), MaxPeers = 1, Trackers = [],
            ExtraPeers = [(IPEndPoint)peer.LocalEndpoint],
        };
        var download = TorrentClient.DownloadAsync(session, built.Torrent, options, null, stop.Token);

        using var dialled = await peer.AcceptTcpClientAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var handshake = new byte[68]; // <pstrlen=19><"BitTorrent protocol"><8 reserved><info_hash 20><peer_id 20>
        await dialled.GetStream().ReadExactlyAsync(handshake, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await stop.CancelAsync();

        Assert.Equal(19, handshake[0]);
        Assert.Equal(id, new PeerId(handshake.AsSpan(48, 20)));
        await Assert.ThrowsAnyAsync<Exception>(() => download); // stopped (cancelled, or no peer left)
    }

    [Fact]
    public async Task ConnectTimeout_ReachesEveryDialOfTheSession()
    {
        // The session's timeouts are what its torrents' connections are opened with (a dial on loopback is refused or
        // answered at once, so the timeout itself is proven where the connection applies it).
        var settings = Loopback() with { ConnectTimeout = TimeSpan.FromSeconds(7), HandshakeTimeout = TimeSpan.FromSeconds(8), IdleTimeout = TimeSpan.FromSeconds(9) };
        await using var session = Session.Start(settings);
        var built = TestTorrents.SingleFile(length: 50_000, announce: null);

        var options = SwarmConnections.Options(session, built.Torrent, new DownloadOptions { OutputDirectory = "out" });

        Assert.Equal((TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(9)),
            (options.ConnectTimeout, options.HandshakeTimeout, options.IdleTimeout));
    }

    [Fact]
    public async Task SessionTrace_SeesAnIncomingHandshakeItRefuses()
    {
        var traced = new TaskCompletionSource<WireTraceEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var session = Session.Start(Loopback() with { Encryption = EncryptionPolicy.Off, Trace = e => traced.TrySetResult(e) });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, session.Port, Ct);
        var handshake = new byte[68];
        handshake[0] = 19;
        "BitTorrent protocol"u8.CopyTo(handshake.AsSpan(1));
        Random.Shared.NextBytes(handshake.AsSpan(28)); // an info hash the session does not serve, any peer id

        await client.GetStream().WriteAsync(handshake, Ct);
        var e = await traced.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(IPAddress.Loopback, e.Peer.Address.IsIPv4MappedToIPv6 ? e.Peer.Address.MapToIPv4() : e.Peer.Address);
        Assert.Contains($"refused: info hash {Convert.ToHexStringLower(handshake.AsSpan(28, 20))}", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeedRatio_Zero_EndsTheRunOnceTheDownloadIsComplete()
    {
        await using var swarm = await MockSwarm.StartAsync(200_000, 16 * 1024, Ct);
        await swarm.AddAsync(SyntheticBehaviour.Normal, announce: true, Ct);
        using var folder = new TempFolder();
        var options = swarm.Options(folder.Path) with { SeedAfterDownload = true, SeedRatio = 0 };

        // Seeding without a limit would run until cancelled; a ratio of zero is reached at once.
        var result = await TorrentClient.DownloadAsync(swarm.Built.Torrent, options, null, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal(swarm.Built.Torrent.TotalLength, result.Downloaded);
    }

    /// <summary>Loopback, any free port, no DHT: nothing leaves the machine.</summary>
    private static SessionSettings Loopback() => new()
    {
        ListenPort = 0, BindAddresses = [IPAddress.Loopback], Dht = false, PeerScope = PeerScope.Loopback, Transport = PeerTransport.Tcp,
    };

    /// <summary>An <see cref="IProgress{T}"/> that records at once (<see cref="Progress{T}"/> posts to a later moment).</summary>
    private sealed class Told : IProgress<long>
    {
        public long Last;
        public void Report(long value) => Interlocked.Exchange(ref Last, value);
    }
}
