namespace TorrentLab.Simulation;

/// <summary>Something that sends over a host's upload: a TCP connection's one direction, or the host's datagrams.</summary>
internal interface IUploader
{
    /// <summary>The next piece to put on the link now (at most one <see cref="AccessLink.Quantum"/> of its host), or null when
    /// there is none, or none may go yet (a full receive window).</summary>
    Transmission? Take();
}

/// <summary>One piece on its way: its size, and what to do when it has left the host.</summary>
internal abstract class Transmission
{
    public abstract int Length { get; }

    /// <summary>It has left the host's upload (fully serialized) at the clock's time now.</summary>
    public abstract void Departed();
}

/// <summary>A host's access link: its upload is shared among everything the host sends, one piece at a time in turn
/// (round robin over the uploaders with something to send, as TCP flows share a bottleneck fairly in their steady
/// state), and its download takes what arrives in order of arrival, each piece after the one before it. A TCP
/// connection toward a host with a limited download has at most its <see cref="FlowShare"/> of the download's queue
/// on the way.</summary>
internal sealed class AccessLink(SimClock clock, LinkSpec spec)
{
    /// <summary>The largest piece a TCP connection puts on the link at once: 16 KiB, one block of the peer wire.</summary>
    public const int MaxQuantum = 16 * 1024;

    /// <summary>The smallest: one packet of Ethernet's 1,500-byte MTU.</summary>
    public const int Packet = 1500;

    /// <summary>What a connection puts on this link in one turn: a tenth of a second of its upload, from one
    /// <see cref="Packet"/> to <see cref="MaxQuantum"/>. A real uplink interleaves the packets of its flows; turns of
    /// 16 KiB on a 16 KiB/s link made a 17-byte request wait a second behind each other connection's turn.</summary>
    public int Quantum { get; } = spec.UpBytesPerSecond <= 0 ? MaxQuantum : (int)Math.Clamp(spec.UpBytesPerSecond / 10, Packet, MaxQuantum);

    /// <summary>Bytes a TCP write may leave unsent on this host before it waits: about a second of its upload (a
    /// kernel's send buffer grows with the congestion window, which a home router's buffer of about a second bounds),
    /// from Linux's initial 16 KiB (tcp_wmem) to 256 KiB; 256 KiB on an unlimited link.</summary>
    public int SendBuffer { get; } = spec.UpBytesPerSecond <= 0 ? MaxSendBuffer : (int)Math.Clamp(spec.UpBytesPerSecond, 16 * 1024, MaxSendBuffer);

    private const int MaxSendBuffer = 256 * 1024;

    private readonly Queue<IUploader> _turns = new();
    private readonly HashSet<IUploader> _waiting = [];
    private bool _sending;
    private Transmission? _onTheLink; // while _sending: the piece being sent, and whose it is
    private IUploader? _onTheLinkFrom;
    private long _downBusyUntil;

    public LinkSpec Spec { get; } = spec;

    /// <summary>Bytes sent and received over the link.</summary>
    public long BytesUp { get; private set; }
    public long BytesDown { get; private set; }

    /// <summary><paramref name="uploader"/> may have something to send: it takes its turn.</summary>
    public void Wake(IUploader uploader)
    {
        if (_waiting.Add(uploader)) _turns.Enqueue(uploader);
        if (!_sending) SendNext();
    }

    private void SendNext()
    {
        while (_turns.TryDequeue(out var uploader))
        {
            _waiting.Remove(uploader);
            if (uploader.Take() is not { } piece) continue;
            BytesUp += piece.Length;
            // Its turn again after this piece, behind the others waiting: a fair share each.
            if (Spec.UpBytesPerSecond <= 0)
            {
                piece.Departed();
                if (_waiting.Add(uploader)) _turns.Enqueue(uploader);
                continue;
            }
            _sending = true;
            (_onTheLink, _onTheLinkFrom) = (piece, uploader);
            clock.Post(Serialize(piece.Length, Spec.UpBytesPerSecond), static s =>
            {
                var link = (AccessLink)s!;
                var (sent, from) = (link._onTheLink!, link._onTheLinkFrom!);
                (link._onTheLink, link._onTheLinkFrom) = (null, null);
                link._sending = false;
                sent.Departed();
                if (link._waiting.Add(from)) link._turns.Enqueue(from);
                link.SendNext();
            }, this);
            return;
        }
    }

    /// <summary>The most one TCP connection may have on its way to this host (sent and not yet through the download):
    /// with a limited download, an equal share of its <see cref="LinkSpec.QueueBytes"/> among the connections with
    /// bytes on the way, at least one <see cref="MaxQuantum"/>; no bound without a limit.</summary>
    /// <remarks>What congestion control reaches at a drop-tail queue: each flow's window shrinks to its share, so the
    /// queue and its delay stay bounded, and a flow that sends less than its share (a slow uplink's) is never held
    /// back by the others. Without it every connection kept up to its receive window (1 MiB) in one queue before a
    /// slow download: 20 senders to a 98 KB/s host queued 200 s, a sender behind them was silent for minutes though
    /// it was sending, and the receiver's request timeouts took it for gone (a 784 kbit/s peer of the 100-peer swarm
    /// wasted 108 MiB of 100 MiB on second copies).</remarks>
    public long FlowShare => Spec.DownBytesPerSecond <= 0 ? long.MaxValue : Math.Max(MaxQuantum, Spec.QueueBytes / Math.Max(1, _flowsOnTheWay));

    /// <summary>A connection toward this host now has bytes on the way (it had none).</summary>
    public void FlowStarted() => _flowsOnTheWay++;

    /// <summary>A connection toward this host has nothing on the way any more.</summary>
    public void FlowEnded() => _flowsOnTheWay--;

    private int _flowsOnTheWay;

    /// <summary>When <paramref name="length"/> bytes arriving now have come down the link: after the bytes that
    /// arrived before them.</summary>
    public long DownloadDone(int length)
    {
        BytesDown += length;
        if (Spec.DownBytesPerSecond <= 0) return clock.NowTicks;
        var start = Math.Max(clock.NowTicks, _downBusyUntil);
        _downBusyUntil = start + Serialize(length, Spec.DownBytesPerSecond).Ticks;
        return _downBusyUntil;
    }

    private static TimeSpan Serialize(int length, long bytesPerSecond) =>
        TimeSpan.FromTicks(Math.Max(1, length * TimeSpan.TicksPerSecond / bytesPerSecond));
}
