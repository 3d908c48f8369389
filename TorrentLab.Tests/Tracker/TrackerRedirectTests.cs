using TorrentLab.Tracker;

namespace TorrentLab.Tests.Tracker;

public class TrackerRedirectTests
{
    [Theory]
    [InlineData("http://tracker.example/announce", "http://other.example/a", "http://other.example/a")]
    [InlineData("http://tracker.example/announce", "/new/announce?x=1", "http://tracker.example/new/announce?x=1")]
    [InlineData("http://127.0.0.1:6969/announce", "http://127.0.0.1:7070/announce", "http://127.0.0.1:7070/announce")]
    [InlineData("http://[::1]:6969/announce", "http://[::1]:7070/announce", "http://[::1]:7070/announce")]
    public void Target_SameSchemeAndKindOfHost_IsFollowed(string from, string location, string expected)
    {
        Assert.Equal(expected, TrackerRedirect.Target(new Uri(from), new Uri(location, UriKind.RelativeOrAbsolute), hops: 0).ToString());
    }

    [Theory]
    [InlineData("http://tracker.example/announce", "https://tracker.example/announce", "from http to https")]
    [InlineData("https://tracker.example/announce", "http://tracker.example/announce", "from https to http")]
    [InlineData("http://tracker.example/announce", "file:///etc/passwd", "from http to file")]
    [InlineData("http://tracker.example/announce", "http://192.168.1.1/admin", "of kind Dns to one of kind IPv4")]
    [InlineData("http://127.0.0.1:6969/announce", "http://[::1]:6969/announce", "of kind IPv4 to one of kind IPv6")]
    [InlineData("http://127.0.0.1:6969/announce", "http://169.254.169.254/latest", "169.254.169.254, an address we do not dial")]
    [InlineData("http://127.0.0.1:6969/announce", "http://255.255.255.255/", "an address we do not dial")]
    public void Target_OtherSchemeOrKindOfHostOrBadAddress_IsRefused(string from, string location, string why)
    {
        var e = Assert.Throws<TrackerException>(() => TrackerRedirect.Target(new Uri(from), new Uri(location), hops: 0));
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Target_TooManyHops_IsRefused()
    {
        var e = Assert.Throws<TrackerException>(() =>
            TrackerRedirect.Target(new Uri("http://a.example/announce"), new Uri("http://a.example/b"), TrackerRedirect.MaxHops));
        Assert.Contains("more than 5 times", e.Message);
    }
}
