namespace TorrentLab.Swarm;

/// <summary>The swarm engine cannot run: it cannot listen on its port, or the data to seed is incomplete.</summary>
public sealed class SwarmException : TorrentLabException
{
    public SwarmException(string message, Exception? inner = null) : base(message, inner) { }
}
