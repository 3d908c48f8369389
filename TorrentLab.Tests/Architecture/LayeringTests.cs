using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Architecture;

/// <summary>The layers the README's reading order promises, checked on the compiled library: a folder (namespace)
/// uses only those before it, and the command line reaches the engine only through the front door.</summary>
public sealed class LayeringTests
{
    /// <summary>The reading order: each namespace may use the ones above it, never one below. Merkle (BitTorrent v2
    /// hashing), Utp (a transport under the wire) and Dht (a discovery source beside trackers) have their places kept.</summary>
    public static readonly string[] ReadingOrder =
    [
        "TorrentLab",
        "TorrentLab.Bencode",
        "TorrentLab.Merkle",
        "TorrentLab.Metainfo",
        "TorrentLab.Wire",
        "TorrentLab.Utp",
        "TorrentLab.Tracker",
        "TorrentLab.Tracker.Server",
        "TorrentLab.Dht",
        "TorrentLab.Pieces",
        "TorrentLab.Storage",
        "TorrentLab.Downloads",
        "TorrentLab.Reference",
        "TorrentLab.Extensions",
        "TorrentLab.Swarm",
        "TorrentLab.Magnet",
        "TorrentLab.Client",
        "TorrentLab.Creation",
        "TorrentLab.Lab",
        "TorrentLab.Web",
    ];

    /// <summary>Folders the command line and the web server reach only through the front door's own types.</summary>
    private static readonly string[] BehindTheFrontDoor =
        ["TorrentLab.Wire", "TorrentLab.Pieces", "TorrentLab.Storage", "TorrentLab.Reference", "TorrentLab.Swarm"];

    private static string Library => typeof(TorrentLabException).Assembly.Location;

    [Fact]
    public void EveryNamespaceOfTheLibraryIsInTheReadingOrder()
    {
        var unknown = IlDependencies.InsideAssembly(Library).Keys
            .Select(NamespaceOf).Where(n => n.StartsWith("TorrentLab", StringComparison.Ordinal))
            .Where(n => Array.IndexOf(ReadingOrder, n) < 0).Distinct().Order().ToArray();
        Assert.True(unknown.Length == 0, string.Join("\n", unknown));
    }

    [Fact]
    public void NoNamespaceUsesOneLaterInTheReadingOrder()
    {
        var backwards = new List<string>();
        foreach (var (type, uses) in IlDependencies.InsideAssembly(Library))
        {
            var rank = Array.IndexOf(ReadingOrder, NamespaceOf(type));
            if (rank < 0) continue;
            backwards.AddRange(uses.Where(u => Array.IndexOf(ReadingOrder, NamespaceOf(u)) > rank).Select(u => $"{type} uses {u}"));
        }
        Assert.True(backwards.Count == 0, string.Join("\n", backwards.Order()));
    }

    [Fact]
    public void TheCommandLineReachesTheEngineOnlyThroughTheFrontDoor()
    {
        var cli = typeof(TorrentLab.Cli.CliApp).Assembly.Location;
        var behind = IlDependencies.ReferencedFrom(cli, "TorrentLab")
            .Where(t => BehindTheFrontDoor.Contains(NamespaceOf(t)) && !FrontDoorSurface().Contains(t)).Order().ToArray();
        Assert.True(behind.Length == 0, string.Join("\n", behind));
    }

    [Fact]
    public void TheWebServerReachesTheEngineOnlyThroughTheFrontDoor()
    {
        var behind = IlDependencies.InsideAssembly(Library)
            .Where(e => NamespaceOf(e.Key) == "TorrentLab.Web")
            .SelectMany(e => e.Value.Where(u => BehindTheFrontDoor.Contains(NamespaceOf(u)) && !FrontDoorSurface().Contains(u))
                .Select(u => $"{e.Key} uses {u}"))
            .Order().ToArray();
        Assert.True(behind.Length == 0, string.Join("\n", behind));
    }

    [Fact]
    public void TheCommandLineSeesNoInternalsOfTheLibrary()
    {
        var visibleTo = typeof(TorrentLabException).Assembly
            .GetCustomAttributes(typeof(System.Runtime.CompilerServices.InternalsVisibleToAttribute), false)
            .Cast<System.Runtime.CompilerServices.InternalsVisibleToAttribute>().Select(a => a.AssemblyName);
        Assert.DoesNotContain("TorrentLab.Cli", visibleTo);
    }

    /// <summary>The types the front door takes and returns: its public types, the types named in their public members,
    /// and so on through those (a trace event's message kind is part of the trace the options take).</summary>
    private static HashSet<string> FrontDoorSurface()
    {
        var pending = new Queue<Type>(typeof(TorrentLabException).Assembly.GetExportedTypes()
            .Where(t => t.Namespace is "TorrentLab.Client" or "TorrentLab.Downloads"));
        var surface = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryDequeue(out var type))
        {
            if (type.Assembly != typeof(TorrentLabException).Assembly || !surface.Add(type.FullName ?? type.Name)) continue;
            foreach (var member in type.GetMembers(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance
                         | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly))
            {
                Type[] named = member switch
                {
                    System.Reflection.PropertyInfo p => [p.PropertyType],
                    System.Reflection.MethodInfo m => [m.ReturnType, .. m.GetParameters().Select(p => p.ParameterType)],
                    System.Reflection.ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType).ToArray(),
                    System.Reflection.FieldInfo f => [f.FieldType],
                    _ => Type.EmptyTypes,
                };
                foreach (var t in named.SelectMany(Unwrap)) pending.Enqueue(t);
            }
        }
        return surface;
    }

    /// <summary>A type and, for generics, arrays and delegates, the types inside it.</summary>
    private static IEnumerable<Type> Unwrap(Type type)
    {
        if (type.HasElementType) return Unwrap(type.GetElementType()!);
        if (type.IsGenericParameter) return [];
        var inner = type.IsGenericType ? type.GetGenericArguments().SelectMany(Unwrap) : [];
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        return [definition, .. inner];
    }

    private static string NamespaceOf(string fullName) =>
        fullName.LastIndexOf('.') is var dot and > 0 ? fullName[..dot] : "";
}
