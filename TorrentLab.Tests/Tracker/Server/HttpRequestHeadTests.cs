using System.Text;
using TorrentLab.Tracker.Server;

namespace TorrentLab.Tests.Tracker.Server;

public class HttpRequestHeadTests
{
    private static bool TryRead(string text, out HttpRequestHead head) => HttpRequestHead.TryRead(Encoding.Latin1.GetBytes(text), out head);

    private static HttpRequestHeadException Refused(string text) =>
        Assert.Throws<HttpRequestHeadException>(() => HttpRequestHead.TryRead(Encoding.Latin1.GetBytes(text), out _));

    [Theory]
    [InlineData("")]
    [InlineData("GET /announce?a=1 HTTP/1.1\r\n")]
    [InlineData("GET /announce?a=1 HTTP/1.1\r\nHost: x\r\n")]          // one CRLF short of the blank line
    [InlineData("GET /announce?a=1 HTTP/1.1\r\nHost: x\r\n\r")]
    public void TryRead_IncompleteHead_ReturnsFalseAndReadsNothing(string text)
    {
        Assert.False(TryRead(text, out var head));
        Assert.Equal(default, head);
    }

    [Fact]
    public void TryRead_Announce_FindsTheTargetAndTheHeadsLength()
    {
        const string First = "GET /announce?info_hash=%01&port=1 HTTP/1.1\r\nHost: ::1:6969\r\nUser-Agent: lt\r\n\r\n";
        var bytes = Encoding.Latin1.GetBytes(First + "GET /scrape HTTP/1.1\r\n"); // the start of a pipelined request

        Assert.True(HttpRequestHead.TryRead(bytes, out var head));

        Assert.Equal("/announce?info_hash=%01&port=1", Encoding.Latin1.GetString(head.Target(bytes)));
        Assert.Equal(First.Length, head.Length);
        Assert.True(head.KeepAlive);
    }

    [Theory]
    [InlineData("HTTP/1.1", "", true)]                                  // RFC 9112 section 9.3: persistent by default
    [InlineData("HTTP/1.1", "Connection: close\r\n", false)]
    [InlineData("HTTP/1.1", "Connection: Keep-Alive, CLOSE\r\n", false)]
    [InlineData("HTTP/1.0", "", false)]                                 // HTTP/1.0 closes unless asked
    [InlineData("HTTP/1.0", "connection: keep-alive\r\n", true)]
    public void TryRead_KeepAlive_FollowsTheVersionAndTheConnectionHeader(string version, string header, bool keepAlive)
    {
        Assert.True(TryRead($"GET /announce {version}\r\nHost: x\r\n{header}\r\n", out var head));
        Assert.Equal(keepAlive, head.KeepAlive);
    }

    [Fact]
    public void TryRead_Http10WithoutHost_IsAccepted() =>
        Assert.True(TryRead("GET /scrape HTTP/1.0\r\n\r\n", out _));

    [Theory]
    [InlineData("GET /announce HTTP/1.1\r\n\r\n", 400)]                                   // HTTP/1.1 without Host
    [InlineData("GET /announce HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)]             // two Hosts
    [InlineData("GET /announce HTTP/1.1\r\nHost : a\r\n\r\n", 400)]                       // whitespace before the colon
    [InlineData("GET /announce HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400)]             // obs-fold
    [InlineData("GET /announce HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n", 400)]
    [InlineData("GET /announce HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400)]                  // a bare LF inside a value
    [InlineData("GET /announce HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 400)]  // a body the tracker won't read
    [InlineData("GET /announce HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("GET /announce\r\nHost: a\r\n\r\n", 400)]                                 // no version
    [InlineData("GET  HTTP/1.1\r\nHost: a\r\n\r\n", 400)]                                 // empty target
    [InlineData("GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n", 400)]                        // a control byte in the target
    [InlineData("G(T /announce HTTP/1.1\r\nHost: a\r\n\r\n", 400)]                        // not a method token
    [InlineData("GET /announce HTTP/1.1x\r\nHost: a\r\n\r\n", 400)]
    [InlineData("GET /announce HTTP/2.0\r\nHost: a\r\n\r\n", 505)]
    [InlineData("POST /announce HTTP/1.1\r\nHost: a\r\n\r\n", 405)]
    [InlineData("\r\n\r\n", 400)]
    public void TryRead_MalformedOrUnsupported_IsRefusedWithItsStatus(string text, int status) =>
        Assert.Equal(status, Refused(text).StatusCode);

    [Fact]
    public void TryRead_ErrorNamesWhereAndWhat()
    {
        var error = Refused("GET /announce HTTP/1.1\r\nHost: a\r\nBad Name: 1\r\n\r\n");
        Assert.Equal(33, error.Offset);
        Assert.Equal("expected a header line 'name: value' at byte 33", error.Message);
    }

    [Fact]
    public void TryRead_HeadLongerThanTheLimit_Is431EvenBeforeItEnds()
    {
        var line = "GET /announce?x=" + new string('a', HttpRequestHead.MaxLength) + " HTTP/1.1\r\n";
        Assert.Equal(431, Refused(line).StatusCode);                         // no blank line yet, already too long
        Assert.Equal(431, Refused(line + "Host: a\r\n\r\n").StatusCode);
    }

    [Fact]
    public void TryRead_HeadOfExactlyTheLimit_IsAccepted()
    {
        const string Start = "GET /announce?x=", End = " HTTP/1.1\r\nHost: a\r\n\r\n";
        var text = Start + new string('a', HttpRequestHead.MaxLength - Start.Length - End.Length) + End;
        Assert.True(TryRead(text, out var head));
        Assert.Equal(HttpRequestHead.MaxLength, head.Length);
    }
}
