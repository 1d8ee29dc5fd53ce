using System.Collections.Concurrent;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;

namespace OtlpFlow.Operators.Otlp.LoadBalancing;

/// <summary>
/// Active health checks of OTLP endpoints: the gRPC health protocol or an HTTP GET. The gRPC
/// health messages are two tiny protobuf messages, encoded here by hand so that no generated
/// health client is needed.
/// </summary>
internal sealed class EndpointHealthChecker : IAsyncDisposable
{
    private const int Serving = 1;

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> CheckMethod = new(MethodType.Unary, "grpc.health.v1.Health", "Check", Raw, Raw);

    private readonly HealthCheckOptions _options;
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    private readonly byte[] _request;

    public EndpointHealthChecker(HealthCheckOptions options)
    {
        _options = options;
        _request = EncodeRequest(options.Service);
    }

    /// <summary>True when the endpoint passes one check within the timeout.</summary>
    public async Task<bool> CheckAsync(string endpoint, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            return _options.Type switch
            {
                HealthCheckType.Grpc => await CheckGrpcAsync(endpoint, timeout.Token).ConfigureAwait(false),
                HealthCheckType.Http => await CheckHttpAsync(endpoint, timeout.Token).ConfigureAwait(false),
                _ => true,
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _http.Dispose();
        await ValueTask.CompletedTask.ConfigureAwait(false);
    }

    private async Task<bool> CheckGrpcAsync(string endpoint, CancellationToken cancellationToken)
    {
        var channel = _channels.GetOrAdd(endpoint, e => GrpcChannel.ForAddress(e, new GrpcChannelOptions { MaxRetryAttempts = 0 }));
        try
        {
            var response = await channel.CreateCallInvoker()
                .AsyncUnaryCall(CheckMethod, null, new CallOptions(cancellationToken: cancellationToken), _request)
                .ResponseAsync.ConfigureAwait(false);
            return DecodeStatus(response) == Serving;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            // The peer answered: it is up, it just offers no health service.
            return true;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    private async Task<bool> CheckHttpAsync(string endpoint, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(endpoint.TrimEnd('/') + _options.Path), cancellationToken).ConfigureAwait(false);
        return (int)response.StatusCode < 500;
    }

    /// <summary><c>HealthCheckRequest { string service = 1; }</c>.</summary>
    private static byte[] EncodeRequest(string service)
    {
        if (service.Length == 0)
        {
            return [];
        }

        var text = Encoding.UTF8.GetBytes(service);
        var bytes = new List<byte> { 0x0A };
        var length = (uint)text.Length;
        while (length >= 0x80)
        {
            bytes.Add((byte)(length | 0x80));
            length >>= 7;
        }

        bytes.Add((byte)length);
        bytes.AddRange(text);
        return [.. bytes];
    }

    /// <summary>The <c>status</c> (field 1, a varint) of a <c>HealthCheckResponse</c>; 0 (UNKNOWN) when absent.</summary>
    private static int DecodeStatus(byte[] response) =>
        response.Length >= 2 && response[0] == 0x08 ? response[1] & 0x7F : 0;
}
