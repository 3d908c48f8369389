using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Debian's Prometheus on 127.0.0.1 (a port of its own choosing), scraping one target every second, its data
/// in a folder of the test's; stopped by its process id.</summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private HttpClient? _http; // once it listens

    private PrometheusServer(Process process) => _process = process;

    private HttpClient Http => _http ?? throw new InvalidOperationException("prometheus does not listen yet");

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (host:port) at <paramref name="path"/> with
    /// <paramref name="bearer"/> as its token; skips (or fails in CI) when it is not installed.</summary>
    public static PrometheusServer Start(string folder, string target, string path, string? bearer, CancellationToken ct)
    {
        var executable = Interop.RequireExecutable("prometheus");
        Directory.CreateDirectory(folder);
        var config = Path.Combine(folder, "prometheus.yml");
        var authorization = bearer is null ? "" : $"    authorization:\n      type: Bearer\n      credentials: '{bearer}'\n";
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: torrentlab
                metrics_path: {path}

            """ + authorization + $"""
                static_configs:
                  - targets: ['{target}']

            """);
        var process = ProcessRunner.Start(executable, [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
            "--web.listen-address=127.0.0.1:0", "--log.level=warn"]);
        var server = new PrometheusServer(process);
        process.OutputDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (server._output) server._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var port = ProcessRunner.WaitForOwnListener(process, "prometheus", () => server.Output, ct);
            var http = server._http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            // It listens before its storage is open, and answers the API with a plain-text 503 until then (a CI run
            // beside two busy loops queried it in that window): ready once /-/ready says so.
            Wait.UntilAsync(async () =>
            {
                using var ready = await http.GetAsync("/-/ready", ct);
                return ready.IsSuccessStatusCode;
            }, TimeSpan.FromSeconds(60), $"prometheus never became ready: {server.Output}", ct).GetAwaiter().GetResult();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>What it printed so far.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The samples an instant query returns now: each series' labels and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string query, CancellationToken ct)
    {
        using var response = await Http.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}", ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        if (json.RootElement.GetProperty("status").GetString() != "success") return [];
        return [.. json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => (
            (IReadOnlyDictionary<string, string>)r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))];
    }

    /// <summary>The health of its one target (<c>up</c>, <c>down</c>, <c>unknown</c>) and its last scrape error.</summary>
    public async Task<(string Health, string Error)> TargetAsync(CancellationToken ct)
    {
        using var response = await Http.GetAsync("/api/v1/targets", ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var target = json.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray().FirstOrDefault();
        return target.ValueKind == JsonValueKind.Undefined ? ("none", "")
            : (target.GetProperty("health").GetString()!, target.GetProperty("lastError").GetString()!);
    }

    public void Dispose()
    {
        _http?.Dispose();
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}
