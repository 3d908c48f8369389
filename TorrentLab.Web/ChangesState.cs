using Microsoft.AspNetCore.Http;

namespace TorrentLab.Web;

/// <summary>Endpoint metadata: which requests to this endpoint change state, whatever their method. The guard holds
/// such requests to the same-origin rule even when they are GETs (<see cref="RequestGuard"/>); an endpoint without it
/// changes state exactly when its method is not GET, HEAD or OPTIONS.</summary>
internal sealed record ChangesState(Func<HttpRequest, bool> When);
