#if !NET9_0_OR_GREATER
namespace System.Threading;

/// <summary>net8.0 has no <c>System.Threading.Lock</c> (it came with .NET 9): this stand-in gives the library's
/// <c>lock (_lock)</c> statements the same meaning there, through <see cref="Monitor"/> on an object of its own, as every
/// lock did before .NET 9. The compiler lowers a <c>lock</c> on a type of this name to <see cref="EnterScope"/>.</summary>
internal sealed class Lock
{
    private readonly object _monitor = new();

    /// <summary>Takes the lock; disposing the scope releases it.</summary>
    public Scope EnterScope()
    {
        Monitor.Enter(_monitor);
        return new Scope(_monitor);
    }

    /// <summary>A held lock, released by <see cref="Dispose"/>.</summary>
    public readonly ref struct Scope
    {
        private readonly object _monitor;

        internal Scope(object monitor) => _monitor = monitor;

        /// <summary>Releases the lock.</summary>
        public void Dispose() => Monitor.Exit(_monitor);
    }
}
#endif
