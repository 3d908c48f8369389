using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace TorrentLab.PortMapping;

/// <summary>How long to wait for a gateway's UDP answer, and how often to ask: RFC 6886 3.1, "waits 250 ms for a
/// response. If no NAT-PMP response is received from the gateway after 250 ms, the client retransmits its request and
/// waits 500 ms. The client SHOULD repeat this process with the interval between attempts doubling each time. If, after
/// sending its ninth attempt (and then waiting for 64 seconds), the client has still received no response, then it
/// SHOULD conclude that this gateway does not support NAT Port Mapping Protocol".</summary>
internal readonly record struct GatewayTiming(TimeSpan FirstWait, int Attempts)
{
    public static GatewayTiming Rfc6886 => new(TimeSpan.FromMilliseconds(250), 9);

    /// <summary>Deleting at stop: "it may be acceptable for a client to retry only once or twice before giving up on
    /// deleting its port mapping(s), but a client SHOULD always send at least one deletion request".</summary>
    public static GatewayTiming Deletion => new(TimeSpan.FromMilliseconds(250), 3);
}

/// <summary>A PCP client (RFC 6887) for MAP requests to the default gateway's UDP port 5351, falling back to NAT-PMP
/// (RFC 6886) for a request the gateway answers with "Unsupported Version", as RFC 6886 1.1 asks: "It is recommended
/// that clients always try PCP first for every new request, retransmission, and renewal, and only try NAT-PMP in
/// response to an "Unsupported Version" error." Either protocol alone can be chosen.</summary>
/// <remarks>One UDP socket, bound to our address on the gateway's link and connected to the gateway's port: the kernel
/// then passes only the gateway's datagrams (the check is made here too), and a closed port (no daemon: ICMP port
/// unreachable) fails the request at once, as RFC 6886 3.1 allows: "if the NAT-PMP client receives an "ICMP Port
/// Unreachable" message from the gateway for port 5351, then it can skip any remaining retransmissions". Requests go
/// one at a time: "clients SHOULD NOT issue multiple concurrent requests".</remarks>
internal sealed class PcpClient : IGatewayClient
{
    private readonly Socket _socket;
    private readonly IPEndPoint _server;
    private readonly IPAddress _local;
    private readonly bool _pcp, _natPmp;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly Dictionary<IpProtocol, byte[]> _nonces = [];
    private readonly byte[] _buffer = new byte[1100];
    private IPAddress? _pcpExternal;
    private (uint Epoch, long At)? _lastEpoch;
    private volatile bool _reset;

    /// <param name="server">The gateway's address and port (5351; a test's fake router elsewhere).</param>
    /// <param name="local">Our address on the gateway's link: the socket's, and PCP's client address.</param>
    /// <param name="pcp">Speak PCP (first, when both are allowed).</param>
    /// <param name="natPmp">Speak NAT-PMP (alone, or after PCP's "Unsupported Version").</param>
    /// <param name="clock">Times the resends of a request, and measures the time between the gateway's epochs.</param>
    /// <exception cref="SocketException">The socket cannot be bound.</exception>
    public PcpClient(IPEndPoint server, IPAddress local, bool pcp, bool natPmp, TimeProvider? clock = null)
    {
        if (!pcp && !natPmp) throw new ArgumentException("PCP, NAT-PMP or both");
        (_server, _local, _pcp, _natPmp, _clock) = (server, local, pcp, natPmp, clock ?? TimeProvider.System);
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Bind(new IPEndPoint(local, 0));
            _socket.Connect(server);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        Name = $"{(pcp && natPmp ? "PCP/NAT-PMP" : pcp ? "PCP" : "NAT-PMP")} ({server.Address})";
    }

    public string Name { get; }

    /// <summary>The waits and tries of a request (tests shorten them).</summary>
    public GatewayTiming Timing { get; init; } = GatewayTiming.Rfc6886;

    public bool TakeReset()
    {
        var reset = _reset;
        _reset = false;
        return reset;
    }

    public async Task<GrantedMapping> MapAsync(IpProtocol protocol, int internalPort, int suggestedExternalPort, TimeSpan lease, CancellationToken ct)
    {
        var seconds = (uint)Math.Clamp(lease.TotalSeconds, 1, uint.MaxValue);
        if (_pcp)
        {
            var answer = await PcpMapAsync(protocol, internalPort, suggestedExternalPort, seconds, Timing, ct).ConfigureAwait(false);
            if (answer is { } pcp)
            {
                if (pcp.ResultCode != PcpMessages.Success)
                    throw new PortMappingException($"PCP refused {Label(protocol)} {internalPort}: {PcpMessages.Describe(pcp.ResultCode)}") { Refused = true };
                _pcpExternal = pcp.ExternalAddress;
                return new GrantedMapping(protocol, internalPort, pcp.ExternalPort, TimeSpan.FromSeconds(pcp.Lifetime), "PCP", pcp.ExternalAddress);
            }
            if (!_natPmp) throw new PortMappingException($"{_server.Address} speaks NAT-PMP only, not PCP") { Refused = true };
        }
        var nat = await NatPmpMapAsync(protocol, internalPort, suggestedExternalPort, seconds, Timing, ct).ConfigureAwait(false);
        if (nat.ResultCode != NatPmpMessages.Success)
            throw new PortMappingException($"NAT-PMP refused {Label(protocol)} {internalPort}: {NatPmpMessages.Describe(nat.ResultCode)}") { Refused = true };
        return new GrantedMapping(protocol, internalPort, nat.ExternalPort, TimeSpan.FromSeconds(nat.Lifetime), "NAT-PMP");
    }

    public async Task UnmapAsync(GrantedMapping mapping, CancellationToken ct)
    {
        if (mapping.Via == "PCP")
        {
            // RFC 6887 15: a MAP request with a lifetime of 0 deletes the mapping its nonce, protocol and internal port name.
            var answer = await PcpMapAsync(mapping.Protocol, mapping.InternalPort, 0, 0, GatewayTiming.Deletion, ct).ConfigureAwait(false)
                ?? throw new PortMappingException($"{_server.Address} answered the PCP deletion of {mapping} in NAT-PMP");
            if (answer.ResultCode != PcpMessages.Success)
                throw new PortMappingException($"PCP refused to delete {mapping}: {PcpMessages.Describe(answer.ResultCode)}");
            return;
        }
        // RFC 6886 3.4: "A client requests explicit deletion of a mapping by sending a message to the NAT gateway
        // requesting the mapping, with the Requested Lifetime in Seconds set to zero."
        var nat = await NatPmpMapAsync(mapping.Protocol, mapping.InternalPort, 0, 0, GatewayTiming.Deletion, ct).ConfigureAwait(false);
        if (nat.ResultCode != NatPmpMessages.Success)
            throw new PortMappingException($"NAT-PMP refused to delete {mapping}: {NatPmpMessages.Describe(nat.ResultCode)}");
    }

    /// <summary>PCP and NAT-PMP delete by our internal port (and PCP by the nonce of our request too): only our
    /// mapping can go, whatever external port the router gave it. RFC 6886 3.4: "The NAT gateway MUST respond to a
    /// request to destroy a mapping that does not exist as if the request were successful", so a success says nothing
    /// of whether there was one: true.</summary>
    public async Task<bool> UnmapAskedAsync(IpProtocol protocol, int internalPort, int externalPort, CancellationToken ct)
    {
        if (_pcp)
        {
            var answer = await PcpMapAsync(protocol, internalPort, 0, 0, GatewayTiming.Deletion, ct).ConfigureAwait(false);
            if (answer is { } pcp)
            {
                if (pcp.ResultCode != PcpMessages.Success)
                    throw new PortMappingException($"PCP refused to delete {Label(protocol)} {externalPort} -> {internalPort}: {PcpMessages.Describe(pcp.ResultCode)}");
                return true;
            }
            if (!_natPmp) throw new PortMappingException($"{_server.Address} speaks NAT-PMP only, not PCP");
        }
        var nat = await NatPmpMapAsync(protocol, internalPort, 0, 0, GatewayTiming.Deletion, ct).ConfigureAwait(false);
        if (nat.ResultCode != NatPmpMessages.Success)
            throw new PortMappingException($"NAT-PMP refused to delete {Label(protocol)} {externalPort} -> {internalPort}: {NatPmpMessages.Describe(nat.ResultCode)}");
        return true;
    }

    public async Task<IPAddress?> ExternalAddressAsync(CancellationToken ct)
    {
        if (_pcpExternal is { } known || !_natPmp) return _pcpExternal; // PCP names it in every MAP answer
        var answer = await ExchangeAsync(NatPmpMessages.ExternalAddressRequest(),
            d => NatPmpMessages.ReadAnswer(d) is { Opcode: NatPmpMessages.ResponseBit + NatPmpMessages.OpExternalAddress }, Timing, ct).ConfigureAwait(false);
        var read = NatPmpMessages.ReadAnswer(answer)!.Value;
        NoteEpoch(read.Epoch);
        if (read.ResultCode != NatPmpMessages.Success)
            throw new PortMappingException($"NAT-PMP refused the external address: {NatPmpMessages.Describe(read.ResultCode)}") { Refused = true };
        return read.ExternalAddress;
    }

    /// <summary>One PCP MAP exchange; null when the gateway answered "Unsupported Version" in NAT-PMP.</summary>
    private async Task<PcpMapAnswer?> PcpMapAsync(IpProtocol protocol, int internalPort, int suggestedExternalPort, uint lifetime, GatewayTiming timing,
        CancellationToken ct)
    {
        // RFC 6887 11.2: the nonce is the client's, kept for the mapping's renewals and its deletion.
        byte[] nonce;
        lock (_nonces)
            if (!_nonces.TryGetValue(protocol, out nonce!)) _nonces[protocol] = nonce = RandomNumberGenerator.GetBytes(PcpMessages.NonceSize);
        var request = PcpMessages.MapRequest(nonce, protocol, (ushort)internalPort, (ushort)suggestedExternalPort,
            lifetime == 0 ? null : _pcpExternal, lifetime, _local);
        var datagram = await ExchangeAsync(request, d => NatPmpMessages.IsUnsupportedVersion(d) || PcpMessages.ReadMapAnswer(d) is { } a
            && a.Nonce.AsSpan().SequenceEqual(nonce) && a.Protocol == protocol && a.InternalPort == internalPort, timing, ct).ConfigureAwait(false);
        if (NatPmpMessages.IsUnsupportedVersion(datagram)) return null;
        var answer = PcpMessages.ReadMapAnswer(datagram)!.Value;
        NoteEpoch(answer.Epoch);
        return answer;
    }

    private async Task<NatPmpAnswer> NatPmpMapAsync(IpProtocol protocol, int internalPort, int suggestedExternalPort, uint lifetime, GatewayTiming timing,
        CancellationToken ct)
    {
        var opcode = (byte)(NatPmpMessages.ResponseBit + NatPmpMessages.Opcode(protocol));
        // "The Internal Port MUST be set to the client's requested Internal Port. This is particularly important,
        // because the client needs this information to identify which request suffered the failure."
        var datagram = await ExchangeAsync(NatPmpMessages.MapRequest(protocol, (ushort)internalPort, (ushort)suggestedExternalPort, lifetime),
            d => NatPmpMessages.ReadAnswer(d) is { } a && a.Opcode == opcode && a.InternalPort == internalPort, timing, ct).ConfigureAwait(false);
        var answer = NatPmpMessages.ReadAnswer(datagram)!.Value;
        NoteEpoch(answer.Epoch);
        return answer;
    }

    /// <summary>Sends <paramref name="request"/> until an answer <paramref name="accept"/> takes arrives, waiting
    /// <see cref="GatewayTiming.FirstWait"/> (250 ms) on the client's clock, then twice as long after each try.</summary>
    private async Task<byte[]> ExchangeAsync(byte[] request, Func<byte[], bool> accept, GatewayTiming timing, CancellationToken ct)
    {
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var wait = timing.FirstWait;
            for (var attempt = 0; attempt < timing.Attempts; attempt++, wait *= 2)
            {
                // The wait runs on our clock, as the renewals do: a test's manual clock resends only when the test moves
                // it. It is armed before the send, so that once the gateway holds the request, the wait has begun.
                using var timeout = new CancellationTokenSource(wait, _clock);
                using var receiving = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
                await _socket.SendAsync(request, SocketFlags.None, ct).ConfigureAwait(false);
                try
                {
                    while (true)
                    {
                        var from = new IPEndPoint(IPAddress.Any, 0) as EndPoint;
                        var received = await _socket.ReceiveFromAsync(_buffer, SocketFlags.None, from, receiving.Token).ConfigureAwait(false);
                        // RFC 6886 3.2 and 3.3: "Upon receiving a response packet, the client MUST check the source IP
                        // address, and silently discard the packet if the address is not the address of the gateway to
                        // which the request was sent." RFC 6887 8.3 asks the same of the source address and port.
                        if (!_server.Equals(Plain((IPEndPoint)received.RemoteEndPoint))) continue;
                        var datagram = _buffer.AsSpan(0, received.ReceivedBytes).ToArray();
                        if (accept(datagram)) return datagram;
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // no answer within this wait: send again
                }
            }
            throw new PortMappingException($"no answer from {_server} after {timing.Attempts} tries");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
        {
            throw new PortMappingException($"{_server} is closed (ICMP port unreachable): the gateway does not speak NAT-PMP or PCP", e);
        }
        catch (SocketException e)
        {
            throw new PortMappingException($"cannot reach {_server}: {e.SocketErrorCode}", e);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>RFC 6886 3.6: "the client computes its own conservative estimate of the expected SSSoE value by taking
    /// the SSSoE value in the last packet it received from the gateway and adding 7/8 (87.5%) of the time elapsed
    /// according to the client's local clock since that packet was received. If the SSSoE in the newly received packet
    /// is less than the client's conservative estimate by more than 2 seconds, then the client concludes that the NAT
    /// gateway has undergone a reboot or other loss of port mapping state, and the client MUST immediately renew all its
    /// active port mapping leases". RFC 6887 8.5 checks PCP's Epoch Time the same way.</summary>
    private void NoteEpoch(uint epoch)
    {
        var now = _clock.GetTimestamp();
        lock (_nonces)
        {
            if (_lastEpoch is var (last, at))
            {
                var expected = last + _clock.GetElapsedTime(at, now).TotalSeconds * 7 / 8;
                if (epoch + 2 < expected) _reset = true;
            }
            _lastEpoch = (epoch, now);
        }
    }

    private static IPEndPoint Plain(IPEndPoint e) => e.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(e.Address.MapToIPv4(), e.Port) : e;

    private static string Label(IpProtocol protocol) => protocol == IpProtocol.Udp ? "UDP" : "TCP";

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _one.Dispose();
        return ValueTask.CompletedTask;
    }
}
