using System.Net.NetworkInformation;

namespace TorrentLab.Network;

/// <summary>Follows one network interface by name: its state and addresses, read at start, whenever the system says
/// an address changed, and on a bounded poll; each change is one log line and one <see cref="Changed"/> call.</summary>
/// <remarks>The poll (<see cref="PollInterval"/>) catches what the system's change events miss (a link set down keeps
/// its address, and some systems raise no event for it); each poll reads the interface list once.</remarks>
internal sealed class InterfaceWatch : IDisposable
{
    /// <summary>How often the interface is read besides the system's change events.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly Func<string, InterfaceSnapshot> _source;
    private readonly Action<string>? _log;
    private readonly object _lock = new();
    private ITimer? _timer;
    private bool _systemEvents, _disposed;
    private InterfaceSnapshot _current = InterfaceSnapshot.Missing;

    /// <param name="name">The interface's name.</param>
    /// <param name="source">Reads the interface (<see cref="InterfaceSnapshot.OfSystem"/>, or a test's fake).</param>
    /// <param name="log">Where the lines go.</param>
    public InterfaceWatch(string name, Func<string, InterfaceSnapshot> source, Action<string>? log)
    {
        Name = name;
        _source = source;
        _log = log;
    }

    /// <summary>The interface's name.</summary>
    public string Name { get; }

    /// <summary>The interface as last read.</summary>
    public InterfaceSnapshot Current { get { lock (_lock) return _current; } }

    /// <summary>Called after each change with the state before and after, in order, one at a time.</summary>
    public event Action<InterfaceSnapshot, InterfaceSnapshot>? Changed;

    /// <summary>Reads the interface once (the start's line: where we are bound, or that we send nothing until it is
    /// up), then follows it: on <paramref name="time"/>'s poll, and on the system's address-change events when
    /// <paramref name="systemEvents"/>.</summary>
    public void Start(TimeProvider time, bool systemEvents)
    {
        InterfaceSnapshot now;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _current = now = _source(Name);
            _log?.Invoke(now.Why(Name) is { } why
                ? $"{why}: sending nothing until it is up with an address"
                : $"interface {Name} up at {Addresses(now)}: everything the session sends goes out from it");
            _timer = time.CreateTimer(_ => Check(), null, PollInterval, PollInterval);
        }
        if (systemEvents)
        {
            _systemEvents = true;
            NetworkChange.NetworkAddressChanged += OnSystemChange;
            NetworkChange.NetworkAvailabilityChanged += OnSystemAvailability;
        }
    }

    private void OnSystemChange(object? sender, EventArgs e) => Check();

    private void OnSystemAvailability(object? sender, NetworkAvailabilityEventArgs e) => Check();

    /// <summary>Reads the interface now; when it changed, logs the change and calls <see cref="Changed"/>. Returns
    /// true when it changed.</summary>
    public bool Check()
    {
        lock (_lock)
        {
            if (_disposed) return false;
            var before = _current;
            var now = _source(Name);
            if (now.SameAs(before)) return false;
            _current = now;
            _log?.Invoke(Describe(before, now));
            Changed?.Invoke(before, now);
            return true;
        }
    }

    /// <summary>The line for a change: down (sending nothing), up (resuming), or moved to other addresses.</summary>
    private string Describe(InterfaceSnapshot before, InterfaceSnapshot now) => (before.Usable, now.Usable) switch
    {
        (true, false) => $"{now.Why(Name)}: sending nothing",
        (false, true) => $"interface {Name} up at {Addresses(now)}: resuming",
        (true, true) => $"interface {Name} now at {Addresses(now)} (was {Addresses(before)}): rebinding",
        _ => $"{now.Why(Name)}: still sending nothing",
    };

    private static string Addresses(InterfaceSnapshot state) => string.Join(", ", state.Addresses);

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _timer?.Dispose();
        }
        if (_systemEvents)
        {
            NetworkChange.NetworkAddressChanged -= OnSystemChange;
            NetworkChange.NetworkAvailabilityChanged -= OnSystemAvailability;
        }
    }
}
