using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Otlp;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Otlp.Tests.Support;
using Status = OpenTelemetry.Proto.Trace.V1.Status;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>
/// Seeded fuzzing of a receiver with a memory budget: random byte-level mutations of valid OTLP
/// protobuf and JSON, and structure-aware ones (ids of every length, unknown enum values, deep
/// nesting, wrong JSON types, repeated keys, bad escapes). Every answer is one the OTLP specification
/// names, with a body: never a 500, never an INTERNAL or UNKNOWN status. Afterwards the receiver
/// still serves, and every byte charged to the budget has been given back.
/// </summary>
public sealed class ReceiverFuzzTests
{
    private const int Seed = 1612;
    private const int Iterations = 600;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(40);

    private static readonly HttpStatusCode[] HttpAnswers =
        [HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable];

    private static readonly StatusCode[] GrpcAnswers =
        [StatusCode.OK, StatusCode.InvalidArgument, StatusCode.ResourceExhausted, StatusCode.Unavailable];

    [Fact]
    public async Task Mutated_protobuf_and_json_get_a_specified_answer_with_a_body_and_leave_no_charge_behind()
    {
        var probe = Probe.Create();
        await using var pipeline = await TestPipeline.StartAsync($$"""
            { "memoryLimit": "64MiB", "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0", "maxRequestSize": "4MiB" },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
            """);
        using var client = Requests.Client();
        using var channel = GrpcChannel.ForAddress(pipeline.Grpc(), new GrpcChannelOptions { MaxRetryAttempts = 0 });
        var invoker = channel.CreateCallInvoker();
        var export = new Method<byte[], byte[]>(MethodType.Unary, "opentelemetry.proto.collector.trace.v1.TraceService", "Export",
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

        var random = new Random(Seed);
        var started = DateTime.UtcNow;
        var answers = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Iterations && DateTime.UtcNow - started < TimeLimit; i++)
        {
            var (body, how) = (i % 3) switch
            {
                0 => MutateBytes(Valid(random).ToByteArray(), random),
                1 => (Structured(random).ToByteArray(), "structured protobuf"),
                _ => Json(random),
            };
            var json = how.Contains("json", StringComparison.Ordinal);
            string answer;
            if (!json && random.Next(2) == 0)
            {
                try
                {
                    await invoker.AsyncUnaryCall(export, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), body);
                    answer = "grpc OK";
                }
                catch (RpcException ex)
                {
                    Assert.True(GrpcAnswers.Contains(ex.StatusCode), $"iteration {i} ({how}): gRPC {ex.StatusCode} {ex.Status.Detail}");
                    Assert.Contains(ex.Trailers, t => t.Key == "grpc-status-details-bin");
                    answer = "grpc " + ex.StatusCode;
                }
            }
            else
            {
                using var request = Requests.Post(pipeline.Http(), "v1/traces", body, json ? "application/json" : "application/x-protobuf");
                using var response = await client.SendAsync(request);
                var content = await response.Content.ReadAsByteArrayAsync();
                Assert.True(HttpAnswers.Contains(response.StatusCode), $"iteration {i} ({how}): HTTP {(int)response.StatusCode} {Encoding.UTF8.GetString(content)}");
                Assert.True(response.StatusCode == HttpStatusCode.OK || content.Length > 0, $"iteration {i} ({how}): HTTP {(int)response.StatusCode} without a body");
                answer = "http " + (int)response.StatusCode;
            }

            answers[answer] = answers.GetValueOrDefault(answer) + 1;
        }

        // Both kinds of answer were reached: the mutations were not all refused, nor all accepted.
        Assert.True(answers.Where(a => a.Key.EndsWith("OK", StringComparison.Ordinal) || a.Key.EndsWith("200", StringComparison.Ordinal)).Sum(a => a.Value) > 20, string.Join(", ", answers));
        Assert.True(answers.Where(a => a.Key.Contains("InvalidArgument", StringComparison.Ordinal) || a.Key.EndsWith("400", StringComparison.Ordinal)).Sum(a => a.Value) > 20, string.Join(", ", answers));

        // Still serving (a throttling answer may come first while the guard sees this test process's
        // heap, which holds the fuzzing's garbage until the next collection).
        await Poll.UntilAsync(async () =>
        {
            using var still = await Requests.PostProtobufAsync(client, pipeline.Http(), Requests.Traces(3));
            return still.StatusCode == HttpStatusCode.OK;
        }, "a valid request to be accepted after the fuzzing");
        await Poll.UntilAsync(() => pipeline.Pipeline.Memory.InFlightBytes == 0, "every charge to the budget to be given back");
    }

    private static ExportTraceServiceRequest Valid(Random random) => Requests.Traces(random.Next(1, 40), seed: random.Next());

    /// <summary>A request built field by field from random choices: what a broken or hostile SDK might send.</summary>
    private static ExportTraceServiceRequest Structured(Random random)
    {
        var request = Valid(random);
        foreach (var span in request.ResourceSpans[0].ScopeSpans[0].Spans)
        {
            switch (random.Next(8))
            {
                case 0: span.TraceId = Bytes(random, random.Next(0, 33)); break;
                case 1: span.SpanId = Bytes(random, random.Next(0, 17)); break;
                case 2: span.Kind = (Span.Types.SpanKind)random.Next(-3, 100); break;
                case 3: span.Status = new Status { Code = (Status.Types.StatusCode)random.Next(-3, 100), Message = new string('m', random.Next(0, 3000)) }; break;
                case 4: span.Attributes.Add(new KeyValue { Key = "deep", Value = Deep(random.Next(1, 60)) }); break;
                case 5: span.StartTimeUnixNano = (ulong)random.NextInt64(); span.EndTimeUnixNano = 0; break;
                case 6: span.Events.Add(Enumerable.Range(0, random.Next(0, 200)).Select(e => new Span.Types.Event { Name = "e" + e })); break;
                default: span.ParentSpanId = Bytes(random, random.Next(0, 17)); break;
            }
        }

        return request;
    }

    private static AnyValue Deep(int depth) => depth == 0
        ? new AnyValue { StringValue = "leaf" }
        : new AnyValue { KvlistValue = new KeyValueList { Values = { new KeyValue { Key = "k", Value = Deep(depth - 1) } } } };

    private static ByteString Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return ByteString.CopyFrom(bytes);
    }

    private static (byte[] Body, string How) MutateBytes(byte[] valid, Random random)
    {
        var bytes = valid.ToList();
        var mutations = random.Next(1, 6);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.Insert(at, (byte)random.Next(256)); break;
                case 2: bytes.RemoveAt(at); break;
                case 3: bytes.RemoveRange(at, bytes.Count - at); break;
                default:
                    // A varint length pushed past what follows, or to a huge claim.
                    bytes.InsertRange(at, [0x0A, 0xFF, 0xFF, 0xFF, 0x7F]);
                    break;
            }
        }

        return (bytes.ToArray(), "mutated protobuf");
    }

    private static readonly string[] JsonPieces =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\ud800", "\\u0000", "null", "true", "1e309", "-0", "18446744073709551616",
        "\"traceId\":\"zz\"", "\"spanId\":\"0102\"", "\"resourceSpans\":[]", "\"kind\":\"SPAN_KIND_SERVER\"", "\"kind\":99",
        "\"bytesValue\":\"AAEC_f7_\"", "\"bytesValue\":\"@@@\"", "\"intValue\":\"12a\"", "\"name\":\"a\",\"name\":\"b\"",
    ];

    private static (byte[] Body, string How) Json(Random random)
    {
        var text = OtlpJson.Format(random.Next(2) == 0 ? Valid(random) : Structured(random));
        var mutations = random.Next(0, 4);
        for (var m = 0; m < mutations; m++)
        {
            var at = random.Next(text.Length);
            text = random.Next(3) switch
            {
                0 => text.Insert(at, JsonPieces[random.Next(JsonPieces.Length)]),
                1 => text.Remove(at, Math.Min(random.Next(1, 20), text.Length - at)),
                _ => text[..at],
            };
        }

        return (Encoding.UTF8.GetBytes(text), "json");
    }
}
