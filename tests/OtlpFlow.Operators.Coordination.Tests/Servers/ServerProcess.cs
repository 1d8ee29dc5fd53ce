using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OtlpFlow.Engine.Testing;

namespace OtlpFlow.Operators.Coordination.Tests.Servers;

/// <summary>A server program run by a test: started on free loopback ports, with a temporary data folder, killed at the end.</summary>
public abstract class ServerProcess : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    protected ServerProcess(string program)
    {
        Program = ServerBinary.Find(program) ?? throw new InvalidOperationException($"{program} is not installed; install Debian's package for it, or unset OTLPFLOW_REQUIRE_SERVICES to skip these tests");
        DataFolder = Directory.CreateTempSubdirectory("otlpflow-" + program + "-").FullName;
    }

    protected string Program { get; }

    protected string DataFolder { get; }

    /// <summary>What the server printed, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool IsRunning => _process is { HasExited: false };

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the program and waits until it answers.</summary>
    public async Task StartAsync()
    {
        var info = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in Arguments())
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Program}");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await Poll.UntilAsync(
                async () => process.HasExited ? throw new InvalidOperationException($"{Program} exited") : await IsReadyAsync(),
                $"{Program} to come up",
                TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{Program} did not come up:\n{Output}", ex);
        }
    }

    /// <summary>Kills the program at once, as a crash would.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }

        GC.SuppressFinalize(this);
    }

    protected abstract IEnumerable<string> Arguments();

    protected abstract Task<bool> IsReadyAsync();

    protected static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
