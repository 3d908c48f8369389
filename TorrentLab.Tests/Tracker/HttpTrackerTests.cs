using System.Text;
using TorrentLab.Tests.Infrastructure;
using TorrentLab.Tracker;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static TorrentLab.Tests.Tracker.TrackerTestData;

namespace TorrentLab.Tests.Tracker;

/// <summary>The HTTP tracker client against canned answers (<see cref="StubHttp"/>): each way an answer can be wrong
/// (a status, a failure reason, a malformed or cut body, an empty one, a slow answer) ends in one
/// <see cref="TrackerException"/> that names the tracker, and the client uses the next good answer. Our own tracker
/// server is tested against this client in <see cref="TrackerClientTests"/>, which also drops a connection mid-answer
/// (WireMock.Net 1.25.0 cannot: a Content-Length it is given is replaced by the body's own).</summary>
public sealed class HttpTrackerTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly WireMockServer _tracker = StubHttp.Start();

    private string AnnounceUrl => _tracker.Url + "/announce";

    // 30 s: every canned answer comes at once, and a loaded machine must not turn one into a timeout.
    private static readonly TrackerClientOptions Patient = TrackerClientTests.Fast with { HttpTimeout = TimeSpan.FromSeconds(30) };

    private static AnnounceRequest Announce(char peer) => new(BinaryHash, Peer(peer), 7001, 0, 0, 1000, AnnounceEvent.Started);

    // d 8:interval i1800e 5:peers 6:<127.0.0.1:7777> e (\u escapes: a \x escape would swallow the hex letters after it)
    private static readonly byte[] GoodAnswer = Bencode("d8:intervali1800e5:peers6:\u007f\0\0\u0001\u001eae");

    private static byte[] Bencode(string latin1) => Encoding.Latin1.GetBytes(latin1);

    /// <summary>The canned answers, by name (a response builder cannot be a test row).</summary>
    private static IResponseBuilder Answer(string name) => name switch
    {
        "status 500" => Response.Create().WithStatusCode(500).WithBody("internal server error"),
        "failure reason" => Response.Create().WithBody(Bencode("d14:failure reason16:scripted failuree")),
        "failure reason with status 400" => Response.Create().WithStatusCode(400).WithBody(Bencode("d14:failure reason16:scripted failuree")),
        "html page" => Response.Create().WithBody("<html>this is not bencode</html>"),
        "bencode cut short" => Response.Create().WithBody(Bencode("d8:intervali1800e5:pee")),
        "peers not a multiple of 6" => Response.Create().WithBody(Bencode("d8:intervali1800e5:peers5:\u007f\0\0\u0001\u001ee")),
        "corrupt gzip" => Response.Create().WithHeader("Content-Encoding", "gzip").WithBody(Bencode("\u001f\u008b\u0008\0not gzip at all")),
        // WireMock's MALFORMED_RESPONSE_CHUNK: the first half of the body, then random bytes.
        "half a body and random bytes" => Response.Create().WithBody(GoodAnswer).WithFault(FaultType.MALFORMED_RESPONSE_CHUNK),
        // WireMock's EMPTY_RESPONSE: status 200 and no body at all.
        "empty body" => Response.Create().WithBody(GoodAnswer).WithFault(FaultType.EMPTY_RESPONSE),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such canned answer"),
    };

    private void AnswerWith(IResponseBuilder response)
    {
        _tracker.Reset();
        _tracker.Given(Request.Create().WithPath("/announce").UsingGet()).RespondWith(response);
    }

    [Fact]
    public async Task Announce_CannedAnswer_IsParsedAndTheRequestCarriesTheRawInfoHash()
    {
        AnswerWith(Response.Create().WithBody(GoodAnswer));
        var client = new TrackerClient([[AnnounceUrl]], Patient);

        var response = await client.AnnounceAsync(Announce('a'), Ct);

        Assert.Equal("127.0.0.1:7777", Assert.Single(response.Peers).ToString());
        Assert.Equal(TimeSpan.FromSeconds(1800), response.Interval);
        var sent = Assert.Single(_tracker.LogEntries).RequestMessage;
        Assert.Contains("info_hash=" + BinaryHashEncoded + "&", sent.RawQuery, StringComparison.Ordinal);   // as sent, not decoded
        Assert.Contains("&compact=1", sent.RawQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status 500", "HTTP 500")]
    [InlineData("failure reason", "failure reason: scripted failure")]
    [InlineData("failure reason with status 400", "failure reason: scripted failure")] // the tracker's words win over the status line
    [InlineData("html page", "not valid bencode")]
    [InlineData("bencode cut short", "not valid bencode")]
    [InlineData("peers not a multiple of 6", "not a multiple of 6")]
    [InlineData("corrupt gzip", "the compressed answer is corrupt")]
    [InlineData("half a body and random bytes", "not valid bencode")]
    [InlineData("empty body", "not valid bencode")]
    public async Task Announce_BadAnswer_IsOneClearTrackerExceptionAndTheNextAnnounceWorks(string answer, string expected)
    {
        AnswerWith(Answer(answer));
        var client = new TrackerClient([[AnnounceUrl]], Patient);

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(Announce('a'), Ct));
        Assert.StartsWith(AnnounceUrl + ": ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.True(error.Message.Length > AnnounceUrl.Length + 2, $"no reason given: {error.Message}");
        Assert.Equal(answer.StartsWith("failure reason", StringComparison.Ordinal) ? "scripted failure" : null, error.FailureReason);

        AnswerWith(Response.Create().WithBody(GoodAnswer));
        Assert.Single((await client.AnnounceAsync(Announce('b'), Ct)).Peers);
    }

    [Fact]
    public async Task Announce_AnswerSlowerThanTheTimeout_IsNoAnswerWithinTheLimit()
    {
        // The stub holds its answer for a minute of real time; the client's 15 s pass on a manual clock.
        AnswerWith(Response.Create().WithBody(GoodAnswer).WithDelay(TimeSpan.FromMinutes(1)));
        var clock = new ManualClock();
        var client = new TrackerClient([[AnnounceUrl]], TrackerClientTests.Fast with { HttpTimeout = TimeSpan.FromSeconds(15), Time = clock });

        var announce = client.AnnounceAsync(Announce('a'), Ct);
        Assert.True(await Wait.UntilAsync(() => clock.PendingTimers.Contains(TimeSpan.FromSeconds(15)), TimeSpan.FromSeconds(30), Ct),
            "the announce armed no 15 s limit");
        clock.Advance(TimeSpan.FromSeconds(15));
        var error = await Assert.ThrowsAsync<TrackerException>(() => announce);

        Assert.Equal(AnnounceUrl + ": no answer within 15 s", error.Message);
    }

    public void Dispose() => _tracker.Dispose();
}
