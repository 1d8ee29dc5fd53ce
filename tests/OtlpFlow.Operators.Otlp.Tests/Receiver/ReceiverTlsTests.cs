using OtlpFlow.Operators.Otlp.Exporter;
using OtlpFlow.Operators.Otlp.Tests.Support;

namespace OtlpFlow.Operators.Otlp.Tests.Receiver;

/// <summary>TLS and mutual TLS between otlp.exporter and otlp.receiver on loopback, with a private CA.</summary>
public sealed class ReceiverTlsTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    public void Dispose() => _certificates.Dispose();

    private Task<TestPipeline> StartReceiverAsync(Probe probe, bool requireClientCertificate) => TestPipeline.StartAsync($$"""
        { "operators": {
            "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "http": "127.0.0.1:0",
                     "tls": { "certFile": "{{_certificates.ServerCertFile}}", "keyFile": "{{_certificates.ServerKeyFile}}"
                              {{(requireClientCertificate ? $", \"clientCaFile\": \"{_certificates.CaFile}\"" : string.Empty)}} } },
            "out": { "type": "test.probe", "inputs": ["in"], "name": "{{probe.Name}}" } } }
        """);

    private static async Task<OtlpExporterOperator> ExportAsync(TestPipeline receiver, string protocol, string tls)
    {
        var endpoint = (protocol == "grpc" ? receiver.Grpc() : receiver.Http()).ToString().TrimEnd('/');
        await using var sender = await TestPipeline.StartAsync($$"""
            { "operators": {
                "gen": { "type": "generate", "signal": "traces", "count": 300, "batchSize": 100, "seed": 2 },
                "exp": { "type": "otlp.exporter", "inputs": ["gen"], "endpoint": "{{endpoint}}", "protocol": "{{protocol}}",
                         "retry": { "enabled": false }, "queue": { "size": 0 } {{tls}} } } }
            """);
        await sender.Pipeline.Completion;
        return (OtlpExporterOperator)sender.Pipeline.Operators["exp"];
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task An_exporter_that_trusts_the_private_ca_delivers_over_tls(string protocol)
    {
        var probe = Probe.Create();
        await using var receiver = await StartReceiverAsync(probe, requireClientCertificate: false);
        Assert.Equal("https", receiver.Grpc().Scheme);

        var exporter = await ExportAsync(receiver, protocol, $", \"tls\": {{ \"caFile\": \"{_certificates.CaFile}\" }}");

        Assert.Equal(300, exporter.Statistics.SentItems);
        Assert.Equal(300, probe.Items);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task An_exporter_that_does_not_trust_the_server_certificate_sends_nothing(string protocol)
    {
        var probe = Probe.Create();
        await using var receiver = await StartReceiverAsync(probe, requireClientCertificate: false);

        var exporter = await ExportAsync(receiver, protocol, tls: string.Empty);

        Assert.Equal(300, exporter.Statistics.FailedItems);
        Assert.Equal(0, probe.Items);
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Mutual_tls_admits_a_client_certificate_from_the_client_ca(string protocol)
    {
        var probe = Probe.Create();
        await using var receiver = await StartReceiverAsync(probe, requireClientCertificate: true);

        var exporter = await ExportAsync(receiver, protocol,
            $", \"tls\": {{ \"caFile\": \"{_certificates.CaFile}\", \"certFile\": \"{_certificates.ClientCertFile}\", \"keyFile\": \"{_certificates.ClientKeyFile}\" }}");

        Assert.Equal(300, exporter.Statistics.SentItems);
        Assert.Equal(300, probe.Items);
    }

    [Theory]
    [InlineData("grpc", false)]
    [InlineData("grpc", true)]
    [InlineData("http/protobuf", false)]
    [InlineData("http/protobuf", true)]
    public async Task Mutual_tls_refuses_a_client_without_a_certificate_or_with_a_stranger_s(string protocol, bool stranger)
    {
        var probe = Probe.Create();
        await using var receiver = await StartReceiverAsync(probe, requireClientCertificate: true);
        var clientCertificate = stranger
            ? $", \"certFile\": \"{_certificates.StrangerCertFile}\", \"keyFile\": \"{_certificates.StrangerKeyFile}\""
            : string.Empty;

        var exporter = await ExportAsync(receiver, protocol, $", \"tls\": {{ \"caFile\": \"{_certificates.CaFile}\" {clientCertificate} }}");

        Assert.Equal(300, exporter.Statistics.FailedItems);
        Assert.Equal(0, probe.Items);
    }

    [Theory]
    [InlineData("grpc", false)]
    [InlineData("grpc", true)]
    [InlineData("http/protobuf", false)]
    [InlineData("http/protobuf", true)]
    public async Task Mutual_tls_refuses_a_certificate_from_the_client_ca_not_issued_for_client_authentication(string protocol, bool serversOwn)
    {
        var probe = Probe.Create();
        await using var receiver = await StartReceiverAsync(probe, requireClientCertificate: true);
        var (cert, key) = serversOwn
            ? (_certificates.ServerCertFile, _certificates.ServerKeyFile)
            : (_certificates.ServerOnlyCertFile, _certificates.ServerOnlyKeyFile);

        var exporter = await ExportAsync(receiver, protocol, $", \"tls\": {{ \"caFile\": \"{_certificates.CaFile}\", \"certFile\": \"{cert}\", \"keyFile\": \"{key}\" }}");

        Assert.Equal(300, exporter.Statistics.FailedItems);
        Assert.Equal(0, probe.Items);
    }

    [Fact]
    public async Task A_missing_certificate_file_stops_the_pipeline_with_the_operator_and_file_named()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestPipeline.StartAsync("""
            { "operators": {
                "in":  { "type": "otlp.receiver", "grpc": "127.0.0.1:0", "tls": { "certFile": "/nonexistent/server.pem" } },
                "out": { "type": "test.probe", "inputs": ["in"], "name": "unused" } } }
            """));
        Assert.Contains("operator 'in'", error.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/server.pem", error.Message, StringComparison.Ordinal);
    }
}
