using OtlpFlow.Engine.Testing;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace OtlpFlow.Cli.Tests;

/// <summary>
/// Debian's <c>chromium</c>, headless, driven over the DevTools protocol (a WebSocket): navigate,
/// evaluate script in the page, take a screenshot. No browser download, no Playwright.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>The browser's path (<c>OTLPFLOW_CHROMIUM</c>, else the usual install paths), or null when there is none.</summary>
    public static string? Executable =>
        Environment.GetEnvironmentVariable("OTLPFLOW_CHROMIUM") is { Length: > 0 } configured && File.Exists(configured)
            ? configured
            : Candidates.FirstOrDefault(File.Exists);

    /// <summary>Starts the browser on a blank page and connects to that page.</summary>
    public static async Task<HeadlessChromium> StartAsync(string executable, int width = 1280, int height = 900)
    {
        var profile = Directory.CreateTempSubdirectory("otlpflow-chromium-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--remote-debugging-port=0", $"--user-data-dir={profile}",
            $"--window-size={width},{height}", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;

        // Drain the browser's chatter so that it never blocks on a full pipe.
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            // The browser writes the port it chose to DevToolsActivePort in its profile folder.
            var portFile = Path.Combine(profile, "DevToolsActivePort");
            var port = 0;
            await Poll.UntilAsync(() => File.Exists(portFile) && ReadPort(portFile, out port), "chromium to open its DevTools port");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            string? pageSocket = null;
            await Poll.UntilAsync(
                async () =>
                {
                    var targets = await http.GetFromJsonAsync<JsonElement>("json/list");
                    pageSocket = targets.EnumerateArray()
                        .Where(t => t.GetProperty("type").GetString() == "page")
                        .Select(t => t.GetProperty("webSocketDebuggerUrl").GetString())
                        .FirstOrDefault();
                    return pageSocket is not null;
                },
                "chromium to show a page to drive");

            await browser._socket.ConnectAsync(new Uri(pageSocket!), CancellationToken.None);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens <paramref name="url"/> in the page.</summary>
    public Task NavigateAsync(Uri url) => SendAsync("Page.navigate", new { url = url.ToString() });

    /// <summary>Evaluates a script expression in the page; returns its value (made JSON).</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true });
        if (result.TryGetProperty("exceptionDetails", out var error))
        {
            throw new InvalidOperationException("the page's script failed: " + error);
        }

        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v : default;
    }

    /// <summary>A PNG of the page as it is drawn now.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true });
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The browser is killed below anyway.
        }

        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A helper process may still hold a file for a moment; the temp folder is cleaned later.
        }
    }

    private static bool ReadPort(string path, out int port)
    {
        port = 0;
        try
        {
            var lines = File.ReadAllLines(path);
            return lines.Length >= 1 && int.TryParse(lines[0], out port) && port > 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private async Task<JsonElement> SendAsync(string method, object parameters)
    {
        var id = ++_nextId;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var received = new MemoryStream();
            WebSocketReceiveResult part;
            do
            {
                part = await _socket.ReceiveAsync(buffer, timeout.Token);
                received.Write(buffer, 0, part.Count);
            }
            while (!part.EndOfMessage);

            using var document = JsonDocument.Parse(received.ToArray());
            var root = document.RootElement;

            // Events (no id) and answers to other calls are skipped.
            if (root.TryGetProperty("id", out var answered) && answered.GetInt32() == id)
            {
                if (root.TryGetProperty("error", out var error))
                {
                    throw new InvalidOperationException($"DevTools {method} failed: {error}");
                }

                return root.GetProperty("result").Clone();
            }
        }
    }
}
