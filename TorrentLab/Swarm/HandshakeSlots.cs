using System.Net;
using TorrentLab.Tracker;

namespace TorrentLab.Swarm;

/// <summary>The session's handshake slots, shared among the addresses that connect to it so that one address (or one
/// subnet) cannot hold them all, each with a deadline for the handshake's completion.</summary>
/// <remarks>
/// A connection to the peer port holds a slot from its accept until its BitTorrent handshake is complete (BEP 3; with
/// MSE/PE before it). Budgets:
/// <list type="bullet">
/// <item><see cref="Total"/> slots in all;</item>
/// <item><see cref="PerAddress"/> for one IP address once half the slots are taken: a further connection from it is
///   then closed at once;</item>
/// <item><see cref="PerSubnet"/> for one /24 (IPv4) or /64 (IPv6) of the internet (loopback and local networks are
///   counted per address only: there, neighbours are separate hosts);</item>
/// <item>the handshake's deadline runs from the accept, not from the last byte: a peer that trickles one byte a second
///   loses its slot as surely as a silent one.</item>
/// </list>
/// When every slot is taken, a newcomer within its budgets does not wait outside: the oldest handshake of the address
/// holding the most slots (the costliest stranger) yields, and the newcomer takes its slot.
/// </remarks>
internal sealed class HandshakeSlots(TimeProvider clock, int total = HandshakeSlots.DefaultTotal)
{
    /// <summary>Handshakes in progress at once: a flood of connections that never finish one costs at most this many
    /// handshake buffers and timers.</summary>
    public const int DefaultTotal = 64;

    /// <summary>Handshakes one IP address may have in progress: a client opens one connection per torrent, and a few
    /// torrents' dials at once are what an honest peer does.</summary>
    public const int PerAddress = 4;

    /// <summary>Handshakes one /24 or /64 of the internet may have in progress: a quarter of the slots.</summary>
    public const int PerSubnet = 16;

    private readonly Lock _lock = new();
    private readonly List<Slot> _held = []; // oldest first

    /// <summary>The slots' count.</summary>
    public int Total => total;

    /// <summary>Handshakes in progress now.</summary>
    public int Held { get { lock (_lock) return _held.Count; } }

    /// <summary>Connections closed at once because their address or subnet was over its budget.</summary>
    public int Refused => Volatile.Read(ref _refused);
    private int _refused;

    /// <summary>Handshakes cut short to make room for a newcomer when every slot was taken.</summary>
    public int Yielded => Volatile.Read(ref _yielded);
    private int _yielded;

    /// <summary>One handshake in progress; <see cref="Cancelled"/> fires at its deadline or when it yields.</summary>
    internal sealed class Slot(IPAddress address, UInt128? subnet, CancellationTokenSource deadline, CancellationTokenSource cancel)
    {
        public IPAddress Address { get; } = address;
        public UInt128? Subnet { get; } = subnet;
        public CancellationToken Cancelled => cancel.Token;
        internal CancellationTokenSource Deadline => deadline;
        internal CancellationTokenSource Cancel => cancel;
    }

    /// <summary>A slot for a connection from <paramref name="remote"/>, whose handshake must complete within
    /// <paramref name="deadline"/>; null when its address or subnet is over budget (close it at once).</summary>
    public Slot? TryTake(IPEndPoint remote, TimeSpan deadline, CancellationToken stop)
    {
        var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        var subnet = SubnetOf(address);
        Slot? yielding = null;
        Slot slot;
        lock (_lock)
        {
            // The shares count once the slots are contended (half taken): until then one address may hold more, as
            // a test swarm or a LAN client on one address with many torrents does.
            if (_held.Count >= total / 2
                && (_held.Count(s => s.Address.Equals(address)) >= PerAddress
                    || (subnet is { } net && _held.Count(s => s.Subnet == net) >= PerSubnet)))
            {
                Interlocked.Increment(ref _refused);
                return null;
            }
            if (_held.Count >= total)
            {
                // The oldest handshake of the address that holds the most slots yields.
                var costliest = _held.GroupBy(s => s.Address).MaxBy(g => g.Count())!.Key;
                yielding = _held.First(s => s.Address.Equals(costliest));
                _held.Remove(yielding);
                Interlocked.Increment(ref _yielded);
            }
            var timer = new CancellationTokenSource(deadline, clock);
            slot = new Slot(address, subnet, timer, CancellationTokenSource.CreateLinkedTokenSource(stop, timer.Token));
            _held.Add(slot);
        }
        if (yielding is not null)
        {
            try { yielding.Cancel.Cancel(); }
            catch (ObjectDisposedException) { } // its handshake ended and gave the slot back meanwhile
        }
        return slot;
    }

    /// <summary>Gives the slot back (the handshake completed or failed).</summary>
    public void Release(Slot slot)
    {
        lock (_lock) _held.Remove(slot);
        slot.Cancel.Dispose();
        slot.Deadline.Dispose();
    }

    /// <summary>The /24 or /64 an internet address belongs to; null on loopback and local networks.</summary>
    private static UInt128? SubnetOf(IPAddress address)
    {
        if (AddressScopes.Of(address) != AddressScope.Global) return null;
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out var length);
        return length == 4
            ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b) >> 8
            : ((UInt128)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b) << 64) | 1;
    }
}
