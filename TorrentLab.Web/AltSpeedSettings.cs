namespace TorrentLab.Web;

/// <summary>Alternative speed limits (Transmission's "turtle mode"): lower global limits, in force when switched on by
/// hand or, with the schedule on, from <see cref="ScheduleBegin"/> to <see cref="ScheduleEnd"/> on the
/// <see cref="ScheduleDays"/>. In a request, a missing field stays as it is.</summary>
/// <param name="Enabled">Switched on by hand (whatever the schedule says).</param>
/// <param name="DownloadRate">The alternative download limit, bytes per second (0: unlimited).</param>
/// <param name="UploadRate">The alternative upload limit, bytes per second (0: unlimited).</param>
/// <param name="ScheduleEnabled">The schedule switches them on and off.</param>
/// <param name="ScheduleBegin">Minutes after local midnight the scheduled period begins (0..1439).</param>
/// <param name="ScheduleEnd">Minutes after local midnight it ends (0..1439); before the beginning: it runs past midnight.</param>
/// <param name="ScheduleDays">The days it begins on, Transmission's bits: 1 Sunday, 2 Monday, 4 Tuesday, 8 Wednesday,
/// 16 Thursday, 32 Friday, 64 Saturday (127: every day).</param>
public sealed record AltSpeedSettings(bool? Enabled = null, long? DownloadRate = null, long? UploadRate = null,
    bool? ScheduleEnabled = null, int? ScheduleBegin = null, int? ScheduleEnd = null, int? ScheduleDays = null)
{
    /// <summary>In answers: whether the alternative limits are in force now (by hand or by the schedule).</summary>
    public bool? Active { get; init; }

    /// <summary>Transmission's defaults: off, 50 kB/s down and up (<c>alt-speed-down</c>/<c>alt-speed-up</c> 50, kB of
    /// 1000 bytes), scheduled 09:00-17:00 every day when the schedule is switched on. Turtle mode slows: switched on
    /// without limits of its own, it must not lift the normal ones.</summary>
    public static AltSpeedSettings Default { get; } = new(false, DefaultRate, DefaultRate, false, 9 * 60, 17 * 60, 127);

    /// <summary>Transmission's default alternative limit: 50 kB/s, bytes per second.</summary>
    public const long DefaultRate = 50_000;

    /// <summary>True when <paramref name="now"/> (local time) falls in the scheduled period. A period that runs past
    /// midnight belongs to the day it began on.</summary>
    public static bool InSchedule(DateTime now, int begin, int end, int days)
    {
        var minute = now.Hour * 60 + now.Minute;
        bool On(DayOfWeek day) => (days & (1 << (int)day)) != 0; // DayOfWeek: Sunday 0 .. Saturday 6, as the bits
        if (begin <= end) return minute >= begin && minute < end && On(now.DayOfWeek);
        return (minute >= begin && On(now.DayOfWeek)) || (minute < end && On(now.AddDays(-1).DayOfWeek));
    }
}
