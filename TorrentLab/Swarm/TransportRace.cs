using System.Net;
using TorrentLab.Tracker;

namespace TorrentLab.Swarm;

/// <summary>Opens one stream to a peer over the first of two transports to connect, the way RFC 8305 ("Happy
/// Eyeballs") races two address families: the first choice alone for a head start, then both at once.</summary>
/// <remarks>The simple version is a fallback: try the first transport, and after it fails or times out, the second.
/// That costs the whole timeout at every peer that silently drops the first (a TCP-only peer never answers a uTP SYN).
/// The race costs at most the head start. Exactly one stream comes out: the other attempt is cancelled, or closed
/// before a byte is sent when it connected too, so the peer is handshaken with once.</remarks>
internal static class TransportRace
{
    /// <summary>How long the first choice runs alone. RFC 8305 section 5 recommends 250 ms between attempts; a peer on
    /// loopback or a LAN that speaks the first transport answers in far less.</summary>
    internal static readonly TimeSpan DefaultHeadStart = TimeSpan.FromMilliseconds(250);

    /// <summary>The head start for a peer on this host or the LAN, where a peer that speaks the first transport answers
    /// within a few milliseconds: the full 250 ms was lost at every TCP-only LAN peer (6 % of a 1 GiB download from one
    /// loopback seeder, bench/notes/one-download.md).</summary>
    internal static readonly TimeSpan NearbyHeadStart = TimeSpan.FromMilliseconds(25);

    /// <summary>Once the second choice failed, how much longer the first may take. The first has been running for
    /// longer than the second took to fail, and a peer that speaks it answers within a round trip; without this limit a
    /// dead peer (TCP refused at once, a uTP SYN resent unanswered for 7 s) held one of the session's dial slots for 7 s,
    /// and eight dead peers from the tracker ahead of three live seeders made a 4 s download take 12 s (bench/README.md).
    /// A live peer whose answer was lost is dialled again later (<see cref="PeerBook"/>'s back-off).</summary>
    internal static readonly TimeSpan DefaultLastChance = TimeSpan.FromSeconds(1);

    /// <summary>The last chance for a peer on this host or the LAN, where round trips take milliseconds.</summary>
    internal static readonly TimeSpan NearbyLastChance = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the first choice runs alone when dialling <paramref name="address"/>. Through a proxy
    /// (<paramref name="viaProxy"/>) the path runs to the proxy and through its relay, wherever the proxy is, so the
    /// peer's address says nothing of the round trip: the full head start (a uTP dial over a SOCKS5 UDP relay to a LAN
    /// peer lost its 25 ms to TCP on a loaded machine).</summary>
    internal static TimeSpan HeadStartFor(IPAddress address, bool viaProxy) => !viaProxy && IsNearby(address) ? NearbyHeadStart : DefaultHeadStart;

    /// <summary>How long the first choice may still take, once the second failed, when dialling <paramref name="address"/>
    /// (through a proxy, <paramref name="viaProxy"/>: the full one, as for the head start).</summary>
    internal static TimeSpan LastChanceFor(IPAddress address, bool viaProxy) => !viaProxy && IsNearby(address) ? NearbyLastChance : DefaultLastChance;

    /// <summary>On this host or the LAN (the addresses a private scope allows).</summary>
    private static bool IsNearby(IPAddress address) => PeerAddressPolicy.MayUse(address, PeerScope.Private);

    /// <summary>Connects with <paramref name="first"/>, adds <paramref name="second"/> once <paramref name="headStart"/>
    /// passed or the first failed, and returns the first stream to connect with its index (0 or 1).</summary>
    /// <param name="first">Opens the first choice; its token is cancelled when the other attempt wins.</param>
    /// <param name="second">Opens the second choice; likewise.</param>
    /// <param name="headStart">How long the first runs alone (<see cref="Timeout.InfiniteTimeSpan"/>: until it fails).</param>
    /// <param name="lastChance">How long the first may still take once the second failed (then the race gives up and
    /// throws the second's failure; <see cref="Timeout.InfiniteTimeSpan"/>: until the first ends too).</param>
    /// <param name="onFailure">Told each attempt's failure that did not end the race (for the log).</param>
    /// <param name="time">The clock of the head start and the last chance (the swarm's).</param>
    /// <param name="ct">Cancels both attempts.</param>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    /// <remarks>Both failed: the last failure is thrown (the earlier one was passed to <paramref name="onFailure"/>).</remarks>
    internal static async Task<(Stream Stream, int Winner)> ConnectFirstAsync(
        Func<CancellationToken, Task<Stream>> first, Func<CancellationToken, Task<Stream>> second,
        TimeSpan headStart, TimeSpan lastChance, Action<int, Exception>? onFailure, TimeProvider time, CancellationToken ct)
    {
        using var losers = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var attempts = new Task<Stream>?[2];
        attempts[0] = first(losers.Token);
        await EndsWithin(attempts[0]!, headStart, time, ct).ConfigureAwait(false); // the head start
        ct.ThrowIfCancellationRequested();
        if (attempts[0]!.IsCompletedSuccessfully) return (attempts[0]!.Result, 0);
        attempts[1] = second(losers.Token);
        while (true)
        {
            var finished = await Task.WhenAny(attempts.Where(a => a != null).Select(a => a!)).ConfigureAwait(false);
            var index = Array.IndexOf(attempts, finished);
            var other = attempts[1 - index];
            if (finished.IsCompletedSuccessfully)
            {
                losers.Cancel();
                if (other != null) _ = CloseWhenConnected(other);
                return (finished.Result, index);
            }
            ct.ThrowIfCancellationRequested();
            if (other == null) return (await finished.ConfigureAwait(false), index); // both failed: rethrows the last failure
            if (index == 1 && !await EndsWithin(other, lastChance, time, ct).ConfigureAwait(false))
            {
                ct.ThrowIfCancellationRequested();
                losers.Cancel();
                _ = CloseWhenConnected(other);
                return (await finished.ConfigureAwait(false), index); // the first is given up on: rethrows the second's failure
            }
            onFailure?.Invoke(index, finished.Exception?.InnerException ?? new OperationCanceledException());
            attempts[index] = null;
        }
    }

    /// <summary>True when <paramref name="attempt"/> ends (connected or failed) within <paramref name="limit"/>.</summary>
    private static async Task<bool> EndsWithin(Task attempt, TimeSpan limit, TimeProvider time, CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ended = await Task.WhenAny(attempt, Task.Delay(limit, time, timer.Token)).ConfigureAwait(false) == attempt;
        timer.Cancel(); // ends the timer when the attempt ended first
        return ended;
    }

    /// <summary>Closes a losing attempt's stream if it connected after all; its failure is expected and dropped.</summary>
    private static async Task CloseWhenConnected(Task<Stream> loser)
    {
        try
        {
            var stream = await loser.ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loser was cancelled or failed, so it opened nothing; awaiting it here observes that exception.
        }
    }
}
