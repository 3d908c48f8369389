using TorrentLab.Tests.Infrastructure;

namespace TorrentLab.Tests.Architecture;

/// <summary>The layers the README's reading order promises, checked on the compiled assemblies: inside the library a
/// folder (namespace) uses only those before it; the applications (tracker server, lab, web server, command line) sit
/// on the library, each using only the assemblies below it; and the command line and the web server reach the engine
/// only through the front door.</summary>
public sealed class LayeringTests
{
    /// <summary>The library's reading order: each namespace may use the ones above it, never one below.</summary>
    public static readonly string[] ReadingOrder =
    [
        "TorrentLab.Compat", // what net8.0 lacks of net10.0's base library, below everything
        "TorrentLab",
        "TorrentLab.Network", // every socket, behind one seam: the kernel's network or a simulated one
        "TorrentLab.Proxy", // SOCKS5 (RFC 1928, RFC 1929): a decorator of the network
        "TorrentLab.Bencode",
        "TorrentLab.Merkle",
        "TorrentLab.Metainfo",
        "TorrentLab.Wire",
        "TorrentLab.Utp",
        "TorrentLab.Tracker",
        "TorrentLab.Dht",
        "TorrentLab.Lsd",
        "TorrentLab.PortMapping",
        "TorrentLab.Pieces",
        "TorrentLab.Storage",
        "TorrentLab.Downloads",
        "TorrentLab.Reference",
        "TorrentLab.Extensions",
        "TorrentLab.Swarm",
        "TorrentLab.Magnet",
        "TorrentLab.Client",
        "TorrentLab.Creation",
    ];

    /// <summary>Each assembly of the product, bottom to top, and the TorrentLab assemblies it may reference.</summary>
    private static readonly Dictionary<string, string[]> MayUse = new(StringComparer.Ordinal)
    {
        ["TorrentLab"] = [],
        ["TorrentLab.Tracker.Server"] = ["TorrentLab"],
        ["TorrentLab.Lab"] = ["TorrentLab", "TorrentLab.Tracker.Server"], // the mock swarm's tracker
        ["TorrentLab.Web"] = ["TorrentLab"],
        ["TorrentLab.Cli"] = ["TorrentLab", "TorrentLab.Tracker.Server", "TorrentLab.Lab", "TorrentLab.Web"],
        // The simulated network (issue 51): the engine and our tracker server run on it; nothing ships on it.
        ["TorrentLab.Simulation"] = ["TorrentLab", "TorrentLab.Tracker.Server"],
    };

    /// <summary>Who may see each assembly's internals: the tests and the benchmarks, and the two applications that
    /// speak the protocol with the library's codecs. The web server and the command line use public types only.</summary>
    private static readonly Dictionary<string, string[]> GrantsInternalsTo = new(StringComparer.Ordinal)
    {
        ["TorrentLab"] = ["TorrentLab.Bench", "TorrentLab.Fuzz", "TorrentLab.Lab", "TorrentLab.Simulation", "TorrentLab.Tests", "TorrentLab.Tracker.Server"],
        ["TorrentLab.Tracker.Server"] = ["TorrentLab.Fuzz", "TorrentLab.Simulation", "TorrentLab.Tests"],
        ["TorrentLab.Simulation"] = ["TorrentLab.Tests"],
        ["TorrentLab.Lab"] = ["TorrentLab.Tests"],
        ["TorrentLab.Web"] = ["TorrentLab.Fuzz", "TorrentLab.Tests"],
        ["TorrentLab.Cli"] = ["TorrentLab.Tests"],
    };

    /// <summary>Folders the command line and the web server reach only through the front door's own types.</summary>
    private static readonly string[] BehindTheFrontDoor =
        ["TorrentLab.Wire", "TorrentLab.Pieces", "TorrentLab.Storage", "TorrentLab.Reference", "TorrentLab.Swarm"];

    /// <summary>The product's assemblies by name, each found through a type it must hold.</summary>
    private static readonly Dictionary<string, System.Reflection.Assembly> Assemblies = new[]
        {
            typeof(TorrentLabException), typeof(TorrentLab.Tracker.Server.TrackerServer), typeof(TorrentLab.Lab.LabChecker),
            typeof(TorrentLab.Web.WebServer), typeof(TorrentLab.Cli.CliApp), typeof(TorrentLab.Simulation.SimRun),
        }
        .Select(t => t.Assembly).ToDictionary(a => a.GetName().Name!, StringComparer.Ordinal);

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

    /// <summary>The one package the library may use beyond the base runtime: ILogger's abstractions.</summary>
    private const string AllowedPackage = "Microsoft.Extensions.Logging.Abstractions";

    [Fact]
    public void TheLibraryReferencesOnlyTheBaseRuntimeNotAspNetCore()
    {
        // Every assembly of Microsoft.NETCore.App sits beside System.Private.CoreLib; ASP.NET Core's shared framework does not.
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        // Beside it, exactly one package: Microsoft.Extensions.Logging.Abstractions, for ILogger (docs/ARCHITECTURE.md).
        var outside = IlDependencies.AssembliesReferencedBy(Library)
            .Where(name => !File.Exists(Path.Combine(runtime, name + ".dll")) && name != AllowedPackage).Order().ToArray();
        Assert.True(outside.Length == 0, $"the library references assemblies outside {runtime} and {AllowedPackage}: {string.Join(", ", outside)}");
        var packages = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "TorrentLab", "TorrentLab.csproj")),
            "<PackageReference Include=\"([^\"]+)\"(?![^>]*PrivateAssets=\"all\")").Select(m => m.Groups[1].Value).ToArray();
        // System.Text.Json only on net8.0, where the base runtime's is older (the same assembly as the runtime's on net10.0).
        Assert.Equal([AllowedPackage, "System.Text.Json"], packages.Order());

        // A framework reference reaches every user of the package even where no code uses it.
        var project = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "TorrentLab", "TorrentLab.csproj"));
        Assert.DoesNotContain("FrameworkReference", project);
    }

    [Fact]
    public void TheTrackerServerNeedsNoWebFramework()
    {
        // The tracker speaks its HTTP itself, so the small tracker executable carries no web server (issue 37).
        var web = IlDependencies.AssembliesReferencedBy(Assemblies["TorrentLab.Tracker.Server"].Location)
            .Where(name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || name.StartsWith("Microsoft.Extensions", StringComparison.Ordinal))
            .Order().ToArray();
        Assert.True(web.Length == 0, $"the tracker server references {string.Join(", ", web)}");
        var project = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "TorrentLab.Tracker.Server", "TorrentLab.Tracker.Server.csproj"));
        Assert.DoesNotContain("FrameworkReference", project);
    }

    [Fact]
    public void TheTrackerExecutableUsesOnlyTheLibraryAndTheTrackerServer()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "torrentlab-tracker.dll"); // referenced by the tests, so copied here
        var used = IlDependencies.AssembliesReferencedBy(path).Where(name => name.StartsWith("TorrentLab", StringComparison.Ordinal)).Order();
        Assert.Equal(["TorrentLab", "TorrentLab.Tracker.Server"], used);
    }

    [Theory]
    [InlineData("TorrentLab")]
    [InlineData("TorrentLab.Tracker.Server")]
    [InlineData("TorrentLab.Lab")]
    [InlineData("TorrentLab.Web")]
    [InlineData("TorrentLab.Cli")]
    [InlineData("TorrentLab.Simulation")]
    public void AnAssemblyReferencesOnlyTheTorrentLabAssembliesBelowIt(string assembly)
    {
        var above = IlDependencies.AssembliesReferencedBy(Assemblies[assembly].Location)
            .Where(name => name.StartsWith("TorrentLab", StringComparison.Ordinal))
            .Except(MayUse[assembly]).Order().ToArray();
        Assert.True(above.Length == 0, $"{assembly} references {string.Join(", ", above)}");
    }

    [Theory]
    [InlineData("TorrentLab.Tracker.Server")]
    [InlineData("TorrentLab.Lab")]
    [InlineData("TorrentLab.Web")]
    public void AnApplicationHoldsOnlyTheNamespaceNamedLikeIt(string assembly)
    {
        var others = IlDependencies.InsideAssembly(Assemblies[assembly].Location).Keys
            .Select(NamespaceOf).Where(n => n.StartsWith("TorrentLab", StringComparison.Ordinal) && n != assembly)
            .Distinct().Order().ToArray();
        Assert.True(others.Length == 0, $"{assembly} holds {string.Join(", ", others)}");
    }

    [Theory]
    [InlineData("TorrentLab.Cli")]
    [InlineData("TorrentLab.Web")]
    public void TheApplicationReachesTheEngineOnlyThroughTheFrontDoor(string assembly)
    {
        var behind = IlDependencies.ReferencedFrom(Assemblies[assembly].Location, "TorrentLab")
            .Where(t => BehindTheFrontDoor.Contains(NamespaceOf(t)) && !FrontDoorSurface().Contains(t)).Order().ToArray();
        Assert.True(behind.Length == 0, string.Join("\n", behind));
    }

    [Theory]
    [InlineData("TorrentLab")]
    [InlineData("TorrentLab.Tracker.Server")]
    [InlineData("TorrentLab.Lab")]
    [InlineData("TorrentLab.Web")]
    [InlineData("TorrentLab.Cli")]
    [InlineData("TorrentLab.Simulation")]
    public void AnAssemblyGrantsItsInternalsOnlyToTheListedOnes(string assembly)
    {
        // No grant to a test tool (a mocking library's proxy assembly) or to the command line.
        var visibleTo = Assemblies[assembly]
            .GetCustomAttributes(typeof(System.Runtime.CompilerServices.InternalsVisibleToAttribute), false)
            .Cast<System.Runtime.CompilerServices.InternalsVisibleToAttribute>().Select(a => a.AssemblyName).Order().ToArray();
        Assert.Equal(GrantsInternalsTo[assembly], visibleTo);
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
