using OtlpFlow.Engine.Options;
using System.Diagnostics.Metrics;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Pipeline;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Files;

namespace OtlpFlow.Operators.Tests.Files;

/// <summary>Drives the file operators through their whole lifecycle, as the engine would.</summary>
internal static class FileHarness
{
    private static readonly Meter TestMeter = new("OtlpFlow.Operators.Tests.Files");

    public static async Task WriteAsync(string path, FileFormat format, IEnumerable<IMessage> requests)
    {
        var writer = new FileWriterOperator(new FileWriterOptions { Path = path, Format = format }, TestOperatorContext.Create("writer", "file.writer"));
        await writer.StartAsync(CancellationToken.None);
        try
        {
            foreach (var request in requests)
            {
                await writer.WriteAsync(TelemetryBatch.Create(request), CancellationToken.None);
            }

            await writer.FlushAsync(CancellationToken.None);
        }
        finally
        {
            await writer.DisposeAsync();
        }
    }

    public static async Task<IReadOnlyList<IMessage>> ReadAsync(string path, FileFormat format, Signal signal = Signal.Traces, ILogger? logger = null, ByteSize? maxRecordSize = null)
    {
        var output = new RecordingOutput();
        var options = new FileReaderOptions { Path = path, Format = format, Signal = signal };
        if (maxRecordSize is { } max)
        {
            options.MaxRecordSize = max;
        }

        var reader = new FileReaderOperator(options, Context("reader", "file.reader", logger));
        await reader.StartAsync(CancellationToken.None);
        try
        {
            await reader.RunAsync(output, CancellationToken.None);
        }
        finally
        {
            await reader.DisposeAsync();
        }

        return output.On().Select(b => b.Payload).ToArray();
    }

    public static OperatorContext Context(string id, string type, ILogger? logger) => logger is null
        ? TestOperatorContext.Create(id, type)
        : new OperatorContext(id, type, logger, TestMeter, TimeProvider.System, new NoServices(), new MemoryBudget(0), CancellationToken.None);

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
