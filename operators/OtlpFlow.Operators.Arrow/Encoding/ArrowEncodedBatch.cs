using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// One batch encoded by <see cref="OtlpArrowEncoder"/>: Arrow IPC streams (one per table) in a
/// small frame, with the position of the batch in its encoder's stream. Decoding it needs the
/// messages before it of the same stream (their dictionary deltas), in order.
/// </summary>
/// <param name="Signal">The signal encoded.</param>
/// <param name="StreamId">The encoder stream the message belongs to.</param>
/// <param name="Sequence">The message's position in its stream, from 0.</param>
/// <param name="ItemCount">Spans, data points or log records encoded.</param>
/// <param name="Bytes">The encoded message.</param>
internal sealed record ArrowEncodedBatch(Signal Signal, Guid StreamId, long Sequence, int ItemCount, ReadOnlyMemory<byte> Bytes);
