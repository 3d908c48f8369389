namespace TorrentLab.Magnet;

/// <summary>A magnet link that TorrentLab cannot use (BEP 9 "Magnet URI format"), naming the parameter at fault.</summary>
public sealed class MagnetException : TorrentLabException
{
    public MagnetException(string message, string? parameter = null, Exception? inner = null)
        : base(parameter is null ? message : $"{parameter}: {message}", inner) => Parameter = parameter;

    /// <summary>The query parameter at fault (<c>xt</c>, <c>x.pe</c>...), or null for the link as a whole.</summary>
    public string? Parameter { get; }
}
