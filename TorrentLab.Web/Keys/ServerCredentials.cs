using System.Text;

namespace TorrentLab.Web;

/// <summary>What a call may present when the server asks for a credential: its token (<c>--token</c>), or one of its
/// API keys (<see cref="ApiKeys"/>). Without a token the server asks for none (loopback only) and the keys are not
/// needed, though they may be made.</summary>
internal sealed class ServerCredentials(string? token, ApiKeys keys)
{
    private readonly byte[]? _token = token is null ? null : Encoding.UTF8.GetBytes(token);

    /// <summary>True when the server asks for no credential.</summary>
    public bool Open => _token is null;

    public ApiKeys Keys => keys;

    /// <summary>True for the server's token itself (what may manage the keys).</summary>
    public bool IsToken(string? presented) => _token is not null && TokenGate.Matches(presented, _token);

    /// <summary>True for the token or a live key.</summary>
    public bool Accepts(string? presented) => IsToken(presented) || keys.Accepts(presented);
}
