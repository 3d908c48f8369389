using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;

namespace TorrentLab.Web;

/// <summary>One hook to run: a program with its arguments and environment, or a webhook's POST.</summary>
/// <param name="What">How the log names it: <c>on-complete hook for 'NAME'</c>.</param>
/// <param name="Program">The program and its arguments (placeholders replaced), or null for a webhook.</param>
/// <param name="Environment">Variables added to the server's environment for the program.</param>
/// <param name="Url">The webhook's URL, or null for a program.</param>
/// <param name="Body">The webhook's JSON.</param>
internal sealed record HookJob(string What, IReadOnlyList<string>? Program = null, IReadOnlyDictionary<string, string>? Environment = null,
    Uri? Url = null, byte[]? Body = null);

/// <summary>Runs hooks beside the engine, never in its way: at most <see cref="HookLimits.Running"/> at once, the rest
/// waiting in a queue of <see cref="HookLimits.Queued"/> (a hook that finds it full is dropped, with a log line). A
/// program runs without a shell, its input closed, its output read and only its first lines kept; past its time it is
/// killed with every process it started. A hook that fails (not found, exit code not 0, killed, an HTTP error, no
/// answer) is one log line and nothing else.</summary>
internal sealed class HookRunner : IAsyncDisposable
{
    private const int KeptOutput = 2048; // chars of a program's output kept for the log line of a failure; the rest is read and dropped

    private readonly Channel<HookJob> _queue;
    private readonly HookLimits _limits;
    private readonly TimeProvider _clock;
    private readonly Action<string>? _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> _send;

    /// <param name="limits">How many hooks run and wait, and for how long.</param>
    /// <param name="clock">The hooks' time limits.</param>
    /// <param name="log">One line per hook that fails or is dropped.</param>
    /// <param name="send">Sends a webhook's POST: the session's <see cref="Client.TorrentSession.SendAsync"/> (its interface
    /// or proxy, only to the URL the user configured: no redirect followed, no cookies kept).</param>
    public HookRunner(HookLimits limits, TimeProvider clock, Action<string>? log, Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> send)
    {
        (_limits, _clock, _log, _send) = (limits, clock, log, send);
        _queue = Channel.CreateBounded<HookJob>(new BoundedChannelOptions(limits.Queued) { FullMode = BoundedChannelFullMode.Wait });
        _workers = [.. Enumerable.Range(0, limits.Running).Select(_ => Task.Run(WorkAsync))];
    }

    /// <summary>Queues a hook; false (and a log line) when the queue is full or the server stops.</summary>
    public bool TryRun(HookJob job)
    {
        if (_queue.Writer.TryWrite(job)) return true;
        _log?.Invoke($"warning: {job.What} dropped: {_limits.Queued} hooks are waiting already");
        return false;
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    if (job.Program is { } program) await RunProgramAsync(job, program).ConfigureAwait(false);
                    else await PostAsync(job).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
                catch (Exception e) // one hook's failure of any kind is its own line, never the worker's end
                {
                    _log?.Invoke($"warning: {job.What} failed: {e.GetType().Name}: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    private async Task RunProgramAsync(HookJob job, IReadOnlyList<string> program)
    {
        var start = new ProcessStartInfo(program[0])
        {
            UseShellExecute = false, // no shell: the arguments reach the program as they are
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in program.Skip(1)) start.ArgumentList.Add(argument);
        foreach (var (name, value) in job.Environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        Process process;
        try { process = Process.Start(start) ?? throw new Win32Exception("no process was started"); }
        catch (Win32Exception e)
        {
            _log?.Invoke($"warning: {job.What} failed: cannot run {program[0]}: {e.Message}");
            return;
        }
        using (process)
        {
            process.StandardInput.Close(); // a program that reads its input ends instead of waiting for the server's
            var output = KeepFirstAsync(process.StandardOutput);
            var errors = KeepFirstAsync(process.StandardError);
            using var limit = new CancellationTokenSource(_limits.ProgramTimeout, _clock);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, _stop.Token);
            try { await process.WaitForExitAsync(either.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); }
                catch (InvalidOperationException) { } // it ended meanwhile
                _log?.Invoke(_stop.IsCancellationRequested
                    ? $"warning: {job.What}: killed as the server stops"
                    : $"warning: {job.What} failed: still running after {_limits.ProgramTimeout.TotalSeconds:0} s, killed with every process it started");
                return;
            }
            if (process.ExitCode == 0) return;
            // The pipes close when the program and whatever it left behind end; a daemon it started may keep them open.
            var said = await ReadOrNothingAsync(errors).ConfigureAwait(false) is { Length: > 0 } e2 ? e2 : await ReadOrNothingAsync(output).ConfigureAwait(false);
            _log?.Invoke($"warning: {job.What} failed: {program[0]} exited with code {process.ExitCode}{(said.Length > 0 ? $": {UntrustedText.Clean(said.Trim(), 200)}" : "")}");
        }
    }

    private static async Task<string> ReadOrNothingAsync(Task<string> read)
    {
        try { return await read.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false); } // product bound, not a test's sleep
        catch (TimeoutException) { return ""; }
    }

    /// <summary>Reads a stream to its end, keeping its first <see cref="KeptOutput"/> characters.</summary>
    private static async Task<string> KeepFirstAsync(StreamReader reader)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            if (kept.Length < KeptOutput) kept.Append(buffer, 0, Math.Min(read, KeptOutput - kept.Length));
        return kept.ToString();
    }

    private async Task PostAsync(HookJob job)
    {
        using var limit = new CancellationTokenSource(_limits.WebhookTimeout, _clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, _stop.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, job.Url) { Content = new ByteArrayContent(job.Body ?? []) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await _send(request, either.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                _log?.Invoke($"warning: {job.What} failed: {job.Url} answered HTTP {(int)response.StatusCode}");
        }
        catch (Client.TorrentUrlException e) // refused, or no answer: the message names the URL
        {
            _log?.Invoke($"warning: {job.What} failed: {e.Message}");
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            _log?.Invoke($"warning: {job.What} failed: {job.Url} did not answer within {_limits.WebhookTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Stops: what waits is dropped, what runs is stopped (a program killed with what it started).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>How many hooks run and wait, and for how long each may run.</summary>
/// <param name="Running">Hooks running at once.</param>
/// <param name="Queued">Hooks waiting at most; one more is dropped with a log line.</param>
/// <param name="ProgramTimeout">How long a program may run before it is killed, with what it started.</param>
/// <param name="WebhookTimeout">How long a webhook's POST may take.</param>
internal sealed record HookLimits(int Running = 4, int Queued = 256, TimeSpan ProgramTimeout = default, TimeSpan WebhookTimeout = default)
{
    /// <summary>4 at once, 256 waiting, 10 minutes per program (a script that moves a large download), 30 s per POST.</summary>
    public static HookLimits Default { get; } = new(4, 256, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30));
}
