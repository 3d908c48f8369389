using TorrentLab.Downloads;

namespace TorrentLab.Web;

/// <summary>The server's global limits: the normal ones the user sets, the alternative ones and their schedule, and
/// which are in force (<see cref="Download"/> and <see cref="Upload"/>, shared by every torrent).</summary>
internal sealed class GlobalLimits : IAsyncDisposable
{
    private static readonly TimeSpan ScheduleCheck = TimeSpan.FromSeconds(15); // a scheduled switch lands within 15 s
    private readonly Lock _lock = new();
    private readonly WebServerOptions _options;
    private readonly Action _save;
    private RateLimitSettings _normal = new(0, 0);
    private AltSpeedSettings _alt = AltSpeedSettings.Default;
    private bool _limitsSet; // the global limits were set through an API (or saved so): they are saved from now on
    private Timer? _schedule;

    /// <param name="options">The command line's starting limits, and the log.</param>
    /// <param name="save">Saves the list after a change.</param>
    public GlobalLimits(WebServerOptions options, Action save)
    {
        _options = options;
        _save = save;
        Download = new RateLimit(options.MaxDownloadRate);
        Upload = new RateLimit(options.MaxUploadRate);
    }

    /// <summary>The limits in force, which every torrent of this server shares (each torrent's own limit sits under them).</summary>
    public RateLimit Download { get; }
    public RateLimit Upload { get; }

    /// <summary>The normal global limits (those not alternative), as set.</summary>
    public RateLimitSettings Normal { get { lock (_lock) return _normal; } }

    /// <summary>The alternative limits and their schedule, with whether they are in force now.</summary>
    public AltSpeedSettings AltSpeed { get { lock (_lock) return _alt with { Active = AltActive(DateTime.Now) }; } }

    /// <summary>Sets the normal global limits (a null leaves one as it is) and saves them.</summary>
    public RateLimitSettings SetNormal(long? download, long? upload)
    {
        lock (_lock)
        {
            _normal = new RateLimitSettings(download ?? _normal.DownloadRate, upload ?? _normal.UploadRate);
            _limitsSet = true;
        }
        ApplyLimits();
        _save();
        return Normal;
    }

    /// <summary>Changes the alternative limits' fields that <paramref name="update"/> sets, saves them, and applies
    /// the limits now in force.</summary>
    /// <exception cref="WebApiException">400: a value out of range (nothing changes).</exception>
    public AltSpeedSettings UpdateAltSpeed(AltSpeedSettings update)
    {
        Merge(update);
        ApplyLimits();
        _save();
        return AltSpeed;
    }

    /// <exception cref="WebApiException">400: a value out of range (nothing changes).</exception>
    private void Merge(AltSpeedSettings update)
    {
        if (update.DownloadRate is < 0 || update.UploadRate is < 0)
            throw new WebApiException(400, $"a limit is bytes per second, 0 for unlimited; got {(update.DownloadRate < 0 ? update.DownloadRate : update.UploadRate)}");
        if (update.ScheduleBegin is < 0 or > 1439 || update.ScheduleEnd is < 0 or > 1439)
            throw new WebApiException(400, $"scheduleBegin and scheduleEnd are minutes after midnight, 0..1439; got {update.ScheduleBegin ?? update.ScheduleEnd}");
        if (update.ScheduleDays is < 0 or > 127)
            throw new WebApiException(400, $"scheduleDays is a sum of day bits, 1 Sunday .. 64 Saturday, 0..127; got {update.ScheduleDays}");
        lock (_lock)
        {
            _alt = new AltSpeedSettings(update.Enabled ?? _alt.Enabled, update.DownloadRate ?? _alt.DownloadRate, update.UploadRate ?? _alt.UploadRate,
                update.ScheduleEnabled ?? _alt.ScheduleEnabled, update.ScheduleBegin ?? _alt.ScheduleBegin, update.ScheduleEnd ?? _alt.ScheduleEnd,
                update.ScheduleDays ?? _alt.ScheduleDays);
        }
    }

    // Called under _lock or with a consistent copy.
    private bool AltActive(DateTime now) =>
        _alt.Enabled == true
        || (_alt.ScheduleEnabled == true && AltSpeedSettings.InSchedule(now, _alt.ScheduleBegin ?? 0, _alt.ScheduleEnd ?? 0, _alt.ScheduleDays ?? 0));

    /// <summary>Puts the limits in force that apply now: the alternative ones when on, else the normal ones.</summary>
    private void ApplyLimits()
    {
        lock (_lock)
        {
            var alt = AltActive(DateTime.Now);
            Download.BytesPerSecond = (alt ? _alt.DownloadRate : _normal.DownloadRate) ?? 0;
            Upload.BytesPerSecond = (alt ? _alt.UploadRate : _normal.UploadRate) ?? 0;
        }
    }

    /// <summary>Takes the saved limits (or the command line's), applies them and starts the schedule's clock.</summary>
    public void Start(RateLimitSettings? saved, AltSpeedSettings? savedAlt)
    {
        _normal = new RateLimitSettings(_options.MaxDownloadRate, _options.MaxUploadRate);
        // Limits set through the page or a remote API win over the command line's starting values, as the settings do.
        if (saved is not null)
        {
            _limitsSet = true;
            _normal = new RateLimitSettings(Math.Max(0, saved.DownloadRate ?? _normal.DownloadRate ?? 0), Math.Max(0, saved.UploadRate ?? _normal.UploadRate ?? 0));
        }
        if (savedAlt is not null)
        {
            try { Merge(savedAlt); }
            catch (WebApiException e) { _options.Log?.Invoke($"warning: ignoring the saved alternative limits: {e.Message}"); }
        }
        ApplyLimits();
        _schedule = new Timer(_ => ApplyLimits(), null, ScheduleCheck, ScheduleCheck);
    }

    /// <summary>The normal limits to save: null until they were set through an API (the command line's are not saved).</summary>
    public RateLimitSettings? ToSave { get { lock (_lock) return _limitsSet ? _normal : null; } }

    /// <summary>The alternative limits to save: null while they are the defaults.</summary>
    public AltSpeedSettings? AltSpeedToSave { get { lock (_lock) return _alt == AltSpeedSettings.Default ? null : _alt; } }

    /// <summary>Stops the schedule's clock.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_schedule is not null) await _schedule.DisposeAsync().ConfigureAwait(false);
    }
}
