using System.Net;
using System.Net.Sockets;

namespace TorrentLab.Simulation;

/// <summary>The simulated internet: hosts with public addresses (from 198.18.0.0/15, RFC 2544's range for
/// benchmarks) or behind NATs (each NAT a private 10.n.0.0/16), each on its own access link to a core that is never
/// the bottleneck; names; and the rules a datagram or a TCP connection follows from one host to another.</summary>
/// <remarks>
/// <para>A datagram: the sender's upload (its turn among the host's senders; lost with the link's chance; dropped when
/// the upload queue is full), the NAT out (a mapping made or refreshed), the two ends' latencies and a jitter, the NAT
/// in (its mapping and filter, judged on arrival), the receiver's download, then the port bound there, if any.</para>
/// <para>A TCP connection: a SYN that finds a listener (or a RST: refused; or nothing: the dialler's own timeout),
/// then two byte streams, each sent in pieces of up to 16 KiB over the sender's upload in turn with its other
/// connections, within a 1 MiB receive window, delayed by the path's latency and taken down the receiver's download.
/// No slow start and no loss: TCP in its steady state, a fair share of each bottleneck.</para>
/// <para>A host that vanishes sends and receives nothing from then on, and its connections deliver nothing more; no
/// one is told (as a machine that loses power).</para>
/// </remarks>
internal sealed class SimNetwork
{
    private readonly SimClock _clock;
    private readonly EventLog _log;
    private readonly Random _random;
    private readonly Dictionary<IPAddress, SimHost> _public = [];
    private readonly Dictionary<IPAddress, SimNat> _nats = [];
    private readonly Dictionary<IPAddress, SimHost> _private = [];
    private readonly List<SimHost> _hosts = [];
    private uint _nextPublic = 0xC612_0001; // 198.18.0.1
    private int _nextNat = 1;

    internal SimNetwork(SimClock clock, EventLog log, int seed)
    {
        _clock = clock;
        _log = log;
        _random = new Random(seed);
    }

    internal SimClock Clock => _clock;
    internal EventLog Log => _log;
    internal Random Random => _random;

    /// <summary>The chunks that hold the bytes of the simulated TCP connections, reused from one to the next.</summary>
    internal SimTcpBytes.Chunks Chunks { get; } = new();

    /// <summary>False (the default): public addresses are handed out in order, 254 to a /24. True: each next one in
    /// the next of the range's 512 /24s, round the range, so hosts share a /24 only past 512 of them (about 20 to a
    /// /24 at 10,000). A DHT keeps one node per /24 in a bucket (as libtorrent does), so thousands of DHT nodes packed
    /// into 40 /24s would leave its tables thin in a way the internet's spread of addresses never does.</summary>
    public bool SpreadAddresses { get; set; }
    private int _allocated;

    /// <summary>Every host, in the order added.</summary>
    public IReadOnlyList<SimHost> Hosts => _hosts;

    /// <summary>A host with a public address of its own.</summary>
    public SimHost AddHost(string name, LinkSpec link)
    {
        var host = new SimHost(this, name, NextPublic(), link, nat: null) { Number = _hosts.Count };
        _public[host.Address] = host;
        _hosts.Add(host);
        return host;
    }

    /// <summary>A host behind <paramref name="nat"/>, with the next private address of its network.</summary>
    public SimHost AddHost(string name, LinkSpec link, SimNat nat)
    {
        var inside = _private.Values.Count(h => h.Nat == nat) + 2;
        var address = new IPAddress([10, (byte)nat.Index, (byte)(inside >> 8), (byte)(inside & 0xFF)]);
        var host = new SimHost(this, name, address, link, nat) { Number = _hosts.Count };
        _private[address] = host;
        _hosts.Add(host);
        return host;
    }

    /// <summary>A NAT with a public address of its own, for hosts to be added behind.</summary>
    public SimNat AddNat(string name, NatKind kind)
    {
        if (_nextNat > 255) throw new InvalidOperationException("at most 255 NATs");
        var nat = new SimNat(name, kind, NextPublic(), _nextNat++, _clock);
        _nats[nat.Public] = nat;
        return nat;
    }

    private IPAddress NextPublic()
    {
        if (SpreadAddresses)
        {
            var index = _allocated++;
            var (round, subnet) = Math.DivRem(index, 512);
            if (round > 253) throw new InvalidOperationException("198.18.0.0/15 is full");
            var spread = 0xC612_0000u + (uint)subnet * 256 + (uint)round + 1;
            return _public.ContainsKey(ToAddress(spread)) || _nats.ContainsKey(ToAddress(spread)) ? NextPublic() : ToAddress(spread);
        }
        var n = _nextPublic++;
        if (n > 0xC613_FFFE) throw new InvalidOperationException("198.18.0.0/15 is full");
        if ((n & 0xFF) is 0 or 255) return NextPublic(); // no .0 or .255: they look like network or broadcast addresses
        return ToAddress(n);
    }

    private static IPAddress ToAddress(uint n) => new([(byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n]);

    /// <summary>Where a packet goes.</summary>
    /// <param name="Host">The host it would reach, or null (no such address, or no mapping at the NAT now).</param>
    /// <param name="Source">The source the receiver sees (after the sender's NAT).</param>
    /// <param name="Nat">The receiver's NAT to pass on arrival, or null.</param>
    /// <param name="Refused">Why it cannot go at all, or null.</param>
    internal readonly record struct Path(SimHost? Host, IPEndPoint Source, SimNat? Nat, string? Refused);

    /// <summary>The path of a packet (UDP when <paramref name="udp"/>, else TCP) from <paramref name="from"/>'s
    /// <paramref name="source"/> to <paramref name="to"/>; makes or refreshes the sender's NAT mapping.</summary>
    internal Path Route(SimHost from, bool udp, IPEndPoint source, IPEndPoint to)
    {
        var address = to.Address.IsIPv4MappedToIPv6 ? to.Address.MapToIPv4() : to.Address;
        if (address.AddressFamily != AddressFamily.InterNetwork) return new Path(null, source, null, "no IPv6 in the simulation");
        if (_private.TryGetValue(address, out var inside))
        {
            // A private address is reached only from its own network (as on a LAN; no route from elsewhere).
            return from.Nat is not null && from.Nat == inside.Nat
                ? new Path(inside, source, null, null)
                : new Path(null, source, null, "no route to a private address of another network");
        }
        if (from.Nat is { } own && address.Equals(own.Public)) return new Path(null, source, null, "no hairpinning at the NAT");
        var seen = from.Nat is { } nat ? nat.Out(udp, source, to) : source;
        if (_public.TryGetValue(address, out var host)) return new Path(host, seen, null, null);
        if (_nats.TryGetValue(address, out var theirs))
        {
            var target = theirs.Peek(udp, to.Port) is { } mapped ? _private.GetValueOrDefault(mapped.Address) : null;
            return new Path(target, seen, theirs, null);
        }
        return new Path(null, seen, null, "no host at that address");
    }

    /// <summary>Per-pair delays that replace the sum of both ends' latencies where they give one (a measured table of
    /// round trips, say); null (the default): every path is its two access links.</summary>
    public IPathDelay? PathDelay { get; set; }

    /// <summary>The one-way delay of a path: <see cref="PathDelay"/>'s, else both ends' latencies (a default 20 ms for
    /// an end that is not there).</summary>
    internal TimeSpan Delay(SimHost from, SimHost? to) =>
        to is not null && PathDelay?.OneWay(from, to) is { } pair ? pair
            : from.Link.Spec.Latency + (to?.Link.Spec.Latency ?? TimeSpan.FromMilliseconds(20));

    /// <summary>A number in [0, 1) from the network's own generator (loss, jitter): drawn in event order.</summary>
    internal double NextDouble() => _random.NextDouble();
}
