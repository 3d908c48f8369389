using System.Net;

namespace TorrentLab.Simulation;

/// <summary>How a NAT maps and filters (RFC 4787's terms).</summary>
internal enum NatKind
{
    /// <summary>Endpoint-independent mapping and filtering: once an inside port has sent, anyone may send to it.</summary>
    FullCone,
    /// <summary>Endpoint-independent mapping, address-and-port-dependent filtering: only whom the inside port sent to
    /// may answer. A simultaneous open (BEP 55) gets through.</summary>
    PortRestricted,
    /// <summary>A mapping per destination (a new outside port for each), filtering per destination: what a third
    /// party learns of the outside port is of no use to anyone else, so a holepunch fails.</summary>
    Symmetric,
}

/// <summary>A NAT in front of a private network (10.n.0.0/16): what an inside host sends out leaves from the NAT's
/// public address through a mapping; what comes in is let through only by a mapping and the filter of its kind.</summary>
/// <remarks>Ports are preserved where free (as most home NATs do, and as a holepunch relies on), except by a symmetric
/// NAT, which numbers its mappings in sequence. A UDP mapping nobody inside has sent on for two minutes (RFC 4787's
/// least) is forgotten; a TCP one lasts as long as the simulation. No hairpinning: an inside host cannot reach the
/// NAT's own public address.</remarks>
internal sealed class SimNat
{
    /// <summary>How long an unused UDP mapping lives (RFC 4787, REQ-5: at least 2 minutes).</summary>
    public static readonly TimeSpan UdpMappingLifetime = TimeSpan.FromMinutes(2);

    private readonly SimClock _clock;
    private readonly Dictionary<(bool Udp, IPEndPoint Inside, IPEndPoint? Remote), Mapping> _out = [];
    private readonly Dictionary<(bool Udp, int Port), Mapping> _in = [];
    private int _nextPort = 20_000;

    internal SimNat(string name, NatKind kind, IPAddress publicAddress, int index, SimClock clock)
    {
        Name = name;
        Kind = kind;
        Public = publicAddress;
        Index = index;
        _clock = clock;
    }

    public string Name { get; }
    public NatKind Kind { get; }

    /// <summary>The NAT's one public address.</summary>
    public IPAddress Public { get; }

    /// <summary>n of the inside network 10.n.0.0/16.</summary>
    internal int Index { get; }

    /// <summary>Whether <paramref name="address"/> is inside.</summary>
    internal bool Contains(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return b.Length == 4 && b[0] == 10 && b[1] == Index;
    }

    private sealed class Mapping(bool udp, IPEndPoint inside, int port, IPEndPoint? remote)
    {
        public bool Udp { get; } = udp;
        public IPEndPoint Inside { get; } = inside;
        public int Port { get; } = port;
        public IPEndPoint? Remote { get; } = remote;
        public HashSet<IPEndPoint> Allowed { get; } = [];
        public long LastOut { get; set; }
    }

    /// <summary>The outside source of what <paramref name="inside"/> sends to <paramref name="remote"/>: its mapping,
    /// made or refreshed now, with <paramref name="remote"/> let in from then on where the filter asks for it.</summary>
    internal IPEndPoint Out(bool udp, IPEndPoint inside, IPEndPoint remote)
    {
        var key = (udp, inside, Kind == NatKind.Symmetric ? remote : null);
        if (!_out.TryGetValue(key, out var mapping) || Expired(mapping))
        {
            if (mapping is not null) Forget(mapping);
            mapping = new Mapping(udp, inside, FreePort(udp, inside.Port), key.Item3);
            _out[key] = mapping;
            _in[(udp, mapping.Port)] = mapping;
        }
        mapping.LastOut = _clock.NowTicks;
        if (Kind != NatKind.FullCone) mapping.Allowed.Add(remote);
        return new IPEndPoint(Public, mapping.Port);
    }

    /// <summary>The inside host a datagram to the outside <paramref name="port"/> would reach, without letting it
    /// in (the path's delay is the inside host's).</summary>
    internal IPEndPoint? Peek(bool udp, int port) =>
        _in.TryGetValue((udp, port), out var mapping) && !Expired(mapping) ? mapping.Inside : null;

    /// <summary>Where what <paramref name="from"/> sends to the outside <paramref name="port"/> goes inside, or null
    /// when no mapping lets it in.</summary>
    internal IPEndPoint? In(bool udp, int port, IPEndPoint from)
    {
        if (!_in.TryGetValue((udp, port), out var mapping)) return null;
        if (Expired(mapping))
        {
            Forget(mapping);
            return null;
        }
        return Kind == NatKind.FullCone || mapping.Allowed.Contains(from) ? mapping.Inside : null;
    }

    private bool Expired(Mapping mapping) => mapping.Udp && _clock.NowTicks - mapping.LastOut > UdpMappingLifetime.Ticks;

    private void Forget(Mapping mapping)
    {
        _out.Remove((mapping.Udp, mapping.Inside, mapping.Remote));
        _in.Remove((mapping.Udp, mapping.Port));
    }

    private int FreePort(bool udp, int wanted)
    {
        if (Kind != NatKind.Symmetric && !_in.ContainsKey((udp, wanted))) return wanted; // preserved
        for (var tries = 0; tries < 65_536; tries++)
        {
            var port = _nextPort;
            _nextPort = _nextPort >= 65_535 ? 20_000 : _nextPort + 1;
            if (!_in.ContainsKey((udp, port))) return port;
        }
        throw new InvalidOperationException($"NAT {Name}: no free port");
    }
}
