using System.Diagnostics;
using System.Text;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Debian's nginx on 127.0.0.1 as a reverse proxy that serves one upstream below a sub-path (the path passed
/// on whole, WebSockets upgraded, the client's Host kept), as a self-hoster puts a daemon behind it; one process
/// (no master), stopped by its process id.</summary>
public sealed class NginxProxy : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NginxProxy(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The proxy's address of <paramref name="subPath"/> (e.g. <c>/torrents/</c>).</summary>
    public string Url(string subPath) => $"http://127.0.0.1:{Port}{subPath}";

    /// <summary>What it printed so far.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts nginx proxying <paramref name="basePath"/><c>/</c> to <paramref name="upstream"/> (host:port);
    /// skips (or fails in CI) when it is not installed.</summary>
    public static NginxProxy Start(string folder, string basePath, string upstream)
    {
        var executable = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : Interop.RequireExecutable("nginx");
        Directory.CreateDirectory(folder);
        var port = ProcessRunner.FreeTcpPort();
        var temp = Path.Combine(folder, "temp");
        var config = Path.Combine(folder, "nginx.conf");
        File.WriteAllText(config, $$"""
            daemon off;
            master_process off;
            pid {{Path.Combine(folder, "nginx.pid")}};
            error_log stderr warn;
            events { worker_connections 128; }
            http {
              access_log off;
              client_body_temp_path {{temp}}/body;
              proxy_temp_path {{temp}}/proxy;
              fastcgi_temp_path {{temp}}/fastcgi;
              uwsgi_temp_path {{temp}}/uwsgi;
              scgi_temp_path {{temp}}/scgi;
              client_max_body_size 20m;
              map $http_upgrade $connection_upgrade { default upgrade; '' close; }
              server {
                listen 127.0.0.1:{{port}};
                location {{basePath}}/ {
                  proxy_pass http://{{upstream}};
                  proxy_http_version 1.1;
                  proxy_set_header Host $http_host;
                  proxy_set_header Upgrade $http_upgrade;
                  proxy_set_header Connection $connection_upgrade;
                  proxy_buffering off;
                }
              }
            }
            """);
        Directory.CreateDirectory(temp);
        var process = ProcessRunner.Start(executable, ["-p", folder, "-c", config, "-e", "stderr"]);
        var proxy = new NginxProxy(process, port);
        process.OutputDataReceived += (_, e) => { lock (proxy._output) proxy._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (proxy._output) proxy._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ProcessRunner.WaitForTcp(port, TimeSpan.FromSeconds(10)))
        {
            var output = proxy.Output;
            proxy.Dispose();
            Assert.Fail($"nginx did not listen on {port} within 10 s:\n{output}");
        }
        return proxy;
    }

    public void Dispose()
    {
        ProcessRunner.Stop(_process);
        _process.Dispose();
    }
}
