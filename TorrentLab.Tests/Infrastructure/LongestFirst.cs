using System.Reflection;
using TorrentLab.Tests.Infrastructure;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(LongestFirst))]
[assembly: TestFramework(typeof(LongestFirst.Framework))]

namespace TorrentLab.Tests.Infrastructure;

/// <summary>The order xunit starts the test classes in: the longest first, then the rest of the slow tier, then the
/// fast tier. xunit runs a few classes at a time and starts the next when one ends; its own order is random, and a run
/// that drew the seed matrix last spent its last two to three minutes on that one class alone (a full run at
/// 2026-11-26 07:57: 214 s of it, the last 130 s with nothing beside it). Starting the long classes first and ending
/// with the many short ones keeps every slot busy to the end (docs/testing.md).</summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    /// <summary>The classes that run longest, longest first, from the per-class durations of full runs
    /// (docs/testing.md). A class missing here only starts later; the order of the rest is by name, so a run's order is
    /// the same every time.</summary>
    internal static readonly Type[] Longest =
    [
        typeof(Lab.LabSeedMatrixTests),
        typeof(Cli.DhtCommandTests),
        typeof(Lab.LabCheckerTests),
        typeof(Packaging.PackCheckTests),
        typeof(Swarm.SwarmSimulatedTests),
        typeof(Cli.DownloadCommandTests),
        typeof(Proxy.Socks5NamespaceTests),
        typeof(Swarm.TransmissionDhtNamespaceTests),
        typeof(Lab.LabCommandTests),
        typeof(Lab.LabTimingTests),
        typeof(Cli.SeedCommandTests),
        typeof(Lab.StarterTests),
        typeof(Lab.LabStrictTests),
    ];

    private static readonly Dictionary<string, int> Rank = Longest.Select((type, i) => (type.FullName!, i)).ToDictionary();

    /// <inheritdoc/>
    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : ITestCollection =>
        [.. testCollections.OrderBy(c => RankOf(ClassOf(c))).ThenBy(c => c.TestCollectionDisplayName, StringComparer.Ordinal)];

    /// <summary>0.. for <see cref="Longest"/>, then the slow tier, then the rest.</summary>
    internal static int RankOf(Type? type) =>
        type?.FullName is { } name && Rank.TryGetValue(name, out var rank) ? rank
        : type is not null && IsSlow(type) ? Longest.Length
        : Longest.Length + 1;

    /// <summary>Whether <paramref name="type"/> is marked <c>[Trait("Tier", "Slow")]</c>.</summary>
    internal static bool IsSlow(Type type) =>
        type.GetCustomAttributes<TraitAttribute>().Any(t => t is { Name: "Tier", Value: "Slow" });

    /// <summary>The test class of a collection of one class (xunit's default, "Test collection for NAME (id: HASH)"), or
    /// the definition class of a collection named by <c>[Collection]</c>.</summary>
    internal static Type? ClassOf(ITestCollection collection)
    {
        if (collection.TestCollectionClassName is { } definition) return typeof(LongestFirst).Assembly.GetType(definition);
        const string prefix = "Test collection for ";
        var name = collection.TestCollectionDisplayName;
        return name.StartsWith(prefix, StringComparison.Ordinal)
            ? typeof(LongestFirst).Assembly.GetType(name[prefix.Length..].Split(' ')[0])
            : null;
    }

    /// <summary>xunit's own framework, but the classes start in <see cref="LongestFirst"/>'s order. xunit hands each class
    /// to the thread pool at once and lets the first few through a semaphore; queued from a pool thread, they went onto
    /// that thread's own queue, which it takes from the back and others steal from the front, so a class placed first
    /// could still start last. Queued from a thread of our own, they go onto the pool's shared queue, taken in order.</summary>
    public sealed class Framework : XunitTestFramework
    {
        /// <inheritdoc/>
        protected override ITestFrameworkExecutor CreateExecutor(Assembly assembly) =>
            new Executor(new XunitTestAssembly(assembly, null, assembly.GetName().Version));
    }

    private sealed class Executor(IXunitTestAssembly assembly) : XunitTestFrameworkExecutor(assembly)
    {
        public override async ValueTask RunTestCases(IReadOnlyCollection<IXunitTestCase> testCases, IMessageSink executionMessageSink,
            ITestFrameworkExecutionOptions executionOptions, CancellationToken cancellationToken) =>
            await Runner.Instance.Run(TestAssembly, testCases, executionMessageSink, executionOptions, cancellationToken);
    }

    private sealed class Runner : XunitTestAssemblyRunner
    {
        public static new Runner Instance { get; } = new();

        /// <summary>Runs xunit's own loop, which queues every class and then waits, on a thread of its own up to its first
        /// wait, so the classes are queued on the pool's shared queue in order.</summary>
        protected override ValueTask<RunSummary> RunTestCollections(XunitTestAssemblyRunnerContext ctxt, Exception? exception)
        {
            ValueTask<RunSummary> running = default;
            var queueing = new Thread(() => running = base.RunTestCollections(ctxt, exception)) { Name = "queues the test classes" };
            queueing.Start();
            queueing.Join();
            return running;
        }
    }
}
