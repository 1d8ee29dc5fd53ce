using Microsoft.Extensions.Time.Testing;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Arrow.Batching;
using OtlpFlow.Operators.Arrow.Tests.Support;

namespace OtlpFlow.Operators.Arrow.Tests.Batching;

public sealed class ArrowBatchOperatorTests
{
    private static (ArrowBatchOperator Batcher, RecordingOutput Output, FakeTimeProvider Time) Create(ArrowBatchOptions options)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var batcher = new ArrowBatchOperator(options, TestOperatorContext.Create(id: "batch", type: "arrow.batch", timeProvider: time));
        var output = new RecordingOutput();
        return (batcher, output, time);
    }

    [Fact]
    public async Task Batches_grow_toward_the_target_encoded_size_and_keep_every_item_and_acknowledgement()
    {
        var (batcher, output, _) = Create(new ArrowBatchOptions { TargetSize = ByteSize.FromKiB(16), SampleEvery = 1 });
        var requests = await Generated.RequestsAsync(Signal.Traces, seed: 3, count: 20_000, batchSize: 100);
        var (share, tracker) = Acknowledgement.Create();
        foreach (var request in requests)
        {
            var batch = TelemetryBatch.Create(request, ack: share.AddShare());
            // The batcher retains the batch itself (outside the engine, Retain keeps this very share open).
            await batcher.ProcessAsync(batch, output, CancellationToken.None);
        }

        await batcher.FlushAsync(output, CancellationToken.None);
        share.Deliver();

        var sent = output.On();
        Assert.Equal(20_000, sent.Sum(b => b.ItemCount));
        Assert.True(batcher.SentBySize >= sent.Count - 1, "all but the last batch should be sent by size");
        Assert.NotEqual(0.2, batcher.RatioOf(Signal.Traces));

        // Measured with a fresh encoder of the batcher's compression, a sent batch is close to the
        // target (within 2×; the first batches use the initial ratio and stream dictionaries make
        // later ones smaller).
        var middle = sent[sent.Count / 2];
        var fresh = new OtlpFlow.Operators.Arrow.Encoding.OtlpArrowEncoder(new() { Compression = new ArrowBatchOptions().Compression });
        var encoded = fresh.Encode(middle.Payload).Bytes.Length;
        Assert.InRange(encoded, 16 * 1024 / 2, 16 * 1024 * 2);

        Assert.False(tracker.Completion.IsCompleted);
        foreach (var batch in sent)
        {
            batch.Ack.Deliver();
        }

        Assert.True((await tracker.Completion).Succeeded);
    }

    [Fact]
    public async Task A_small_batch_is_sent_once_its_oldest_data_reaches_the_latency_bound()
    {
        var (batcher, output, time) = Create(new ArrowBatchOptions { TargetSize = ByteSize.FromMiB(64), MaxLatency = TimeSpan.FromMilliseconds(200) });
        var request = (await Generated.RequestsAsync(Signal.Logs, seed: 1, count: 10, batchSize: 10))[0];
        await batcher.ProcessAsync(TelemetryBatch.Create(request), output, CancellationToken.None);

        // The ticks the engine would run: one early (nothing is due), one on time.
        time.Advance(TimeSpan.FromMilliseconds(199));
        await batcher.TickAsync(output, CancellationToken.None);
        Assert.Empty(output.On());

        time.Advance(TimeSpan.FromMilliseconds(1));
        await batcher.TickAsync(output, CancellationToken.None);
        Assert.Single(output.On());
        Assert.Equal(10, output.On()[0].ItemCount);
        Assert.Equal(1, batcher.SentByLatency);
        await batcher.DisposeAsync();
    }
}
