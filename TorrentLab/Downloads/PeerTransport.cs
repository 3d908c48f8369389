namespace TorrentLab.Downloads;

/// <summary>Which transports carry peer connections: TCP, uTP (BEP 29, over UDP on the same port number), or both.</summary>
public enum PeerTransport
{
    /// <summary>Dial uTP first and race TCP after a 250 ms head start (or the reverse, <see cref="SessionSettings.DialTcpFirst"/>); accept both.</summary>
    Both,

    /// <summary>TCP only: no uTP connection is dialled or accepted.</summary>
    Tcp,

    /// <summary>uTP only: no TCP connection is dialled or accepted.</summary>
    Utp,
}
