using Microsoft.AspNetCore.Http;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Otlp.Protocol;
using OtlpFlow.Operators.Otlp.Receiver;
using OtlpFlow.Operators.Otlp.Tests.Support;
using RpcMessage = OtlpFlow.Operators.Otlp.Protocol.Rpc.Status;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>
/// A failure while the receiver writes its answer (after the outcome is known) still reaches the
/// client as a protocol answer: a gRPC status, or an HTTP 500 with a google.rpc.Status body; the
/// server would otherwise send a bare HTTP 500, which OTLP clients cannot classify.
/// </summary>
public sealed class ReceiverAnswerFailureTests
{
    private static ReceiverIngest Ingest() => new(new OtlpReceiverOptions(), TestOperatorContext.Create("in", "otlp.receiver"));

    [Fact]
    public async Task A_grpc_answer_whose_trailers_cannot_be_written_is_a_trailers_only_internal_status()
    {
        // A context without trailer support: appending the status as trailers throws.
        var http = new DefaultHttpContext();
        http.Request.Method = HttpMethods.Post;
        http.Request.Path = OtlpMessages.TracesGrpcPath;
        http.Request.ContentType = "application/grpc";
        http.Request.Body = new MemoryStream();

        await new GrpcReceiverHandler(Ingest()).HandleAsync(http);

        Assert.Equal(StatusCodes.Status200OK, http.Response.StatusCode);
        Assert.Equal("application/grpc", http.Response.ContentType);
        Assert.Equal(RpcStatus.Internal.ToString(System.Globalization.CultureInfo.InvariantCulture), http.Response.Headers["grpc-status"].ToString());
        var status = Requests.StatusDetails(http.Response.Headers["grpc-status-details-bin"].ToString());
        Assert.Equal(RpcStatus.Internal, status.Code);
        Assert.False(string.IsNullOrEmpty(status.Message));
    }

    [Fact]
    public async Task An_http_answer_whose_first_write_fails_is_a_500_with_a_status_body()
    {
        var body = new FailingOnceStream();
        var http = new DefaultHttpContext();
        http.Request.Method = HttpMethods.Post;
        http.Request.Path = "/v1/traces";
        http.Request.ContentType = "application/x-protobuf";
        http.Request.Body = new MemoryStream([0xFF, 0xFF, 0xFF]);
        http.Response.Body = body;

        await new HttpReceiverHandler(Ingest()).HandleAsync(http);

        Assert.Equal(StatusCodes.Status500InternalServerError, http.Response.StatusCode);
        Assert.Equal("application/x-protobuf", http.Response.ContentType);
        var status = RpcMessage.Parser.ParseFrom(body.ToArray());
        Assert.Equal(RpcStatus.Internal, status.Code);
        Assert.False(string.IsNullOrEmpty(status.Message));
    }

    /// <summary>A response body whose first write fails, as a broken connection's would.</summary>
    private sealed class FailingOnceStream : MemoryStream
    {
        private bool _failed;

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_failed)
            {
                _failed = true;
                throw new InvalidOperationException("the first write fails");
            }

            return base.WriteAsync(buffer, cancellationToken);
        }
    }
}
