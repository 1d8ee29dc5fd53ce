using System.Buffers;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Tests.Telemetry;

/// <summary>Batches that hold an export request's encoding and decode it only when read.</summary>
public sealed class EncodedBatchTests
{
    /// <summary>A request of <paramref name="spans"/> spans, each with a name long enough to spread a large request over several segments.</summary>
    private static ExportTraceServiceRequest Request(int spans, string prefix = "op")
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "lib" } };
        for (var i = 0; i < spans; i++)
        {
            scope.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(Enumerable.Range(0, 16).Select(b => (byte)(b + i)).ToArray()),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i + 1)),
                Name = $"{prefix}-{i}-" + new string('x', 100),
                StartTimeUnixNano = (ulong)i,
                EndTimeUnixNano = (ulong)i + 10,
            });
        }

        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(new ResourceSpans { ScopeSpans = { scope } });
        return request;
    }

    [Fact]
    public void An_encoded_batch_decodes_on_first_read_and_then_holds_only_the_objects()
    {
        var request = Request(3);
        var batch = TelemetryBatch.FromEncoded(Signal.Traces, new ReadOnlySequence<byte>(request.ToByteArray()), 3);

        Assert.Equal(3, batch.ItemCount);
        Assert.Equal(request.CalculateSize(), batch.SizeBytes);
        Assert.True(batch.TryGetEncoded(out var bytes));
        Assert.Equal(request.ToByteArray(), bytes.ToArray());

        var decoded = batch.Traces!;
        Assert.Equal(request, decoded);
        Assert.Same(decoded, batch.Payload);
        Assert.False(batch.TryGetEncoded(out _));
    }

    [Fact]
    public void A_large_request_spans_several_segments_below_the_large_object_threshold_and_round_trips()
    {
        var request = Request(2000);
        var encoded = SegmentedBytes.Encode(request);

        Assert.False(encoded.IsSingleSegment);
        foreach (var segment in encoded)
        {
            Assert.True(segment.Length <= SegmentedBytes.SegmentSize);
        }

        Assert.Equal(request.ToByteArray(), encoded.ToArray());
        Assert.Equal(request, TelemetryBatch.FromEncoded(Signal.Traces, encoded, 2000).Traces);
    }

    [Fact]
    public void A_writer_asked_for_more_room_than_a_segment_has_left_skips_its_free_end()
    {
        var writer = new SegmentedBytes();
        var expected = new List<byte>();
        foreach (var (size, value) in new[] { (SegmentedBytes.SegmentSize - 100, (byte)1), (500, (byte)2), (3, (byte)3), (SegmentedBytes.SegmentSize * 2, (byte)4), (7, (byte)5) })
        {
            // Each write asks for its whole size at once, as a caller needing one contiguous span does.
            writer.GetSpan(size)[..size].Fill(value);
            writer.Advance(size);
            expected.AddRange(Enumerable.Repeat(value, size));
        }

        var sequence = writer.ToSequence();
        Assert.Equal(expected.Count, sequence.Length);
        Assert.Equal(expected.Count, writer.Length);
        Assert.Equal(expected, sequence.ToArray());
    }

    [Fact]
    public void Batches_sharing_encoded_data_decode_it_once_and_a_copy_for_a_mutating_operator_is_independent()
    {
        var batch = TelemetryBatch.FromEncoded(Signal.Traces, SegmentedBytes.Encode(Request(2)), 2);
        var shared = batch.WithContext(BatchContext.Empty);
        var copy = batch.Fork(clonePayload: true);

        Assert.Same(batch.Payload, shared.Payload);
        copy.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name = "changed";
        Assert.NotEqual("changed", batch.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Name);

        // Once decoded, a copy clones the objects (the bytes may no longer match them).
        batch.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[1].Name = "mutated in place";
        var late = batch.Fork(clonePayload: true);
        Assert.Equal("mutated in place", late.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[1].Name);
        Assert.NotSame(batch.Payload, late.Payload);
    }

    [Fact]
    public void Pooled_segments_stay_readable_until_the_last_batch_sharing_them_is_settled()
    {
        var request = Request(1000);
        var (share, tracker) = Acknowledgement.Create();
        var batch = TelemetryBatch.Encode(Signal.Traces, request, 1000);
        batch.AttachAcknowledgement(share);
        var fork = batch.Fork(clonePayload: false);
        var copy = batch.Fork(clonePayload: true);

        batch.Ack.Deliver();
        Assert.True(fork.TryGetEncoded(out var bytes));
        Assert.Equal(request.ToByteArray(), bytes.ToArray());

        fork.Ack.Deliver();
        Assert.Equal(request, copy.Traces); // the copy's batch still holds the segments
        copy.Ack.Deliver();
        Assert.True(tracker.Completion.IsCompletedSuccessfully);

        // Every holder is finished: the segments went back to the pool, and reading them now is an error, not garbage.
        Assert.Throws<ObjectDisposedException>(() => fork.TryGetEncoded(out _));
        Assert.Throws<ObjectDisposedException>(() => fork.Payload);
        Assert.Equal(request, copy.Traces); // decoded objects stay readable
    }

    [Fact]
    public void A_batch_whose_share_is_merged_into_another_is_finished_and_gives_its_segments_back()
    {
        var request = Request(1);
        var read = TelemetryBatch.CopyEncoded(Signal.Traces, request.ToByteArray(), 1, BatchContext.Empty, Acknowledgement.Create().Share);
        var unread = TelemetryBatch.CopyEncoded(Signal.Traces, request.ToByteArray(), 1, BatchContext.Empty, Acknowledgement.Create().Share);

        // What a batch operator does: read the objects, merge the shares into the combined batch's.
        var objects = read.Traces!;
        var combined = Acknowledgement.Merge([read.Ack, unread.Ack]);

        Assert.False(combined.IsSettled);
        Assert.Same(objects, read.Payload);
        Assert.Equal(request, objects);
        Assert.Throws<ObjectDisposedException>(() => unread.TryGetEncoded(out _));
    }

    [Fact]
    public void A_settlement_hook_runs_once_whether_the_share_is_settled_or_merged()
    {
        var runs = 0;
        var (share, _) = Acknowledgement.Create();
        share.WhenSettled(() => runs++);
        share.Deliver();
        share.Refuse(1, "again");
        Assert.Equal(1, runs);

        var (merged, _) = Acknowledgement.Create();
        merged.WhenSettled(() => runs++);
        _ = Acknowledgement.Merge([merged]);
        Assert.Equal(2, runs);

        var (late, _) = Acknowledgement.Create();
        late.Deliver();
        late.WhenSettled(() => runs++);
        Assert.Equal(3, runs);

        var (from, _) = Acknowledgement.Create();
        var (to, _) = Acknowledgement.Create();
        from.WhenSettled(() => runs++);
        from.MoveHookTo(to);
        from.Deliver();
        Assert.Equal(3, runs);
        to.Deliver();
        Assert.Equal(4, runs);
    }
}
