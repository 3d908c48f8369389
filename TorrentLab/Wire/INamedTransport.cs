namespace TorrentLab.Wire;

/// <summary>A stream that names the transport carrying it (<c>utp</c>, say), for the trace and the logs.</summary>
internal interface INamedTransport
{
    /// <summary>The transport's short lowercase name.</summary>
    string TransportName { get; }
}
