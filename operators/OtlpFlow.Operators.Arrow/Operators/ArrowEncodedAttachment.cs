using Google.Protobuf;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Operators.Arrow.Operators;

/// <summary>
/// How an Arrow encoding travels with a batch inside a graph: <c>arrow.encode</c> attaches it to
/// the batch's context (<c>context.With(attachment)</c>) and <c>arrow.decode</c> reads it back
/// (<c>context.Get&lt;ArrowEncodedAttachment&gt;()</c>). The payload stays the OTLP request, so
/// every operator in between works as usual; the attachment survives any derivation of the batch
/// and any rewrite of its tenant or metadata.
/// </summary>
/// <param name="Encoded">The encoded message.</param>
/// <param name="Source">
/// The payload that was encoded. When a batch's payload is no longer this object, an operator
/// changed the data after encoding and the encoding is stale.
/// </param>
internal sealed record ArrowEncodedAttachment(ArrowEncodedBatch Encoded, IMessage Source);
