using System.Net;
using TorrentLab.Dht;
using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Dht;

public class QueryRateLimiterTests
{
    [Fact]
    public void OneSource_GetsItsBurst_ThenWaitsForTheRate()
    {
        var clock = new ManualClock();
        var limiter = new QueryRateLimiter(clock);
        var source = IPAddress.Parse("127.0.0.2");

        var allowed = Enumerable.Range(0, 100).Count(_ => limiter.Allow(source));
        Assert.Equal((int)QueryRateLimiter.PerSourceBurst, allowed);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((int)QueryRateLimiter.PerSourceRate, Enumerable.Range(0, 100).Count(_ => limiter.Allow(source)));
    }

    [Fact]
    public void OtherSources_AreNotHeldBackByOne()
    {
        var limiter = new QueryRateLimiter(new ManualClock());
        for (var i = 0; i < 100; i++) limiter.Allow(IPAddress.Parse("127.0.0.2"));

        Assert.True(limiter.Allow(IPAddress.Parse("127.0.0.3")));
    }

    [Fact]
    public void ManySources_AllAtOnce_HitTheGlobalCap_AndTheSourceTableStaysBounded()
    {
        var clock = new ManualClock();
        var limiter = new QueryRateLimiter(clock);

        var allowed = 0;
        for (var i = 0; i < QueryRateLimiter.MaxSources + 5_000; i++)
            if (limiter.Allow(new IPAddress(BitConverter.GetBytes(0x0000007F | (i + 1) << 8)))) allowed++;

        Assert.Equal((int)QueryRateLimiter.GlobalRate, allowed);
        Assert.Equal(QueryRateLimiter.MaxSources, limiter.Sources);
    }

    [Fact]
    public void IdleSources_AreForgotten_BeforeTheTableIsFull()
    {
        // A node on the internet hears from thousands of addresses an hour, each a few queries: their buckets are full
        // again within seconds, and keeping them until the table holds MaxSources is memory for nothing.
        var clock = new ManualClock();
        var limiter = new QueryRateLimiter(clock);
        for (var i = 0; i < 1_000; i++) limiter.Allow(new IPAddress(BitConverter.GetBytes(0x0000000A | (i + 1) << 8)));
        Assert.Equal(1_000, limiter.Sources);

        clock.Advance(QueryRateLimiter.IdleAfter + TimeSpan.FromSeconds(1));
        limiter.Allow(IPAddress.Parse("10.200.0.1"));

        Assert.Equal(1, limiter.Sources);
    }

    [Fact]
    public void ASourceForgottenWhileIdle_GetsItsWholeBurstAgain_AsItWouldHaveKept()
    {
        var clock = new ManualClock();
        var limiter = new QueryRateLimiter(clock);
        var source = IPAddress.Parse("10.0.0.7");
        Assert.Equal((int)QueryRateLimiter.PerSourceBurst, Enumerable.Range(0, 100).Count(_ => limiter.Allow(source)));

        clock.Advance(QueryRateLimiter.IdleAfter + TimeSpan.FromSeconds(1));
        limiter.Allow(IPAddress.Parse("10.0.0.8")); // the sweep

        Assert.Equal(1, limiter.Sources);
        Assert.Equal((int)QueryRateLimiter.PerSourceBurst, Enumerable.Range(0, 100).Count(_ => limiter.Allow(source)));
    }

    [Fact]
    public void LoopbackSources_AreCountedPerPort()
    {
        // IPv6 has one loopback address: local nodes on ::1 differ only by port, and none may use up another's burst.
        var limiter = new QueryRateLimiter(new ManualClock());
        var first = new IPEndPoint(IPAddress.IPv6Loopback, 6881);

        var allowed = Enumerable.Range(0, 100).Count(_ => limiter.Allow(first));

        Assert.Equal((int)QueryRateLimiter.PerSourceBurst, allowed);
        Assert.True(limiter.Allow(new IPEndPoint(IPAddress.IPv6Loopback, 6882)));
    }

    [Fact]
    public void OtherSources_AreCountedPerAddress_WhateverThePort()
    {
        var limiter = new QueryRateLimiter(new ManualClock());
        var address = IPAddress.Parse("2001:db8::7");

        for (var port = 1; port <= 100; port++) limiter.Allow(new IPEndPoint(address, port));

        Assert.False(limiter.Allow(new IPEndPoint(address, 6881)));
    }
}
