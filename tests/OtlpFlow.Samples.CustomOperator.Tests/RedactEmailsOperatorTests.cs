using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;

namespace OtlpFlow.Samples.CustomOperator.Tests;

// The unit tests that docs/custom-operators.md shows: the operator alone, with the engine's test helpers.
public sealed class RedactEmailsOperatorTests
{
    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static ExportTraceServiceRequest Traces(params KeyValue[] attributes)
    {
        var span = new Span { Name = "signup" };
        span.Attributes.Add(attributes);
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { span } } } } } };
    }

    private static async Task<Redacted> RunAsync(RedactEmailsOptions options, ExportTraceServiceRequest request)
    {
        var op = new RedactEmailsOperator(options, TestOperatorContext.Create());
        var output = new RecordingOutput();
        await op.ProcessAsync(TelemetryBatch.Create(request), output, CancellationToken.None);
        var batch = Assert.Single(output.On());
        Assert.Equal(0, output.ItemsDropped);
        return new Redacted(op, batch.Traces!.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes.ToDictionary(a => a.Key, a => a.Value.StringValue));
    }

    [Fact]
    public async Task An_email_attribute_is_replaced_by_its_hash_with_the_domain_kept_when_asked()
    {
        var (op, attributes) = await RunAsync(new RedactEmailsOptions { KeepDomain = true }, Traces(Attribute("user.email", "alice@example.com")));

        Assert.Equal(op.Hash("alice@example.com"), attributes["user.email"]);
        Assert.Matches("^[0-9a-f]{16}@example.com$", attributes["user.email"]);
    }

    [Fact]
    public async Task Addresses_inside_text_are_replaced_and_other_values_are_left_alone()
    {
        var (op, attributes) = await RunAsync(new RedactEmailsOptions(), Traces(
            Attribute("note", "cc Bob@Corp.example.org please"),
            Attribute("http.route", "/signup"),
            Attribute("weird", "not-an-address@")));

        Assert.Equal($"cc {op.Hash("bob@corp.example.org")} please", attributes["note"]);
        Assert.Equal(op.Hash("Bob@Corp.example.org"), op.Hash("bob@corp.example.org"));
        Assert.Equal("/signup", attributes["http.route"]);
        Assert.Equal("not-an-address@", attributes["weird"]);
    }

    [Fact]
    public async Task With_keys_only_those_attributes_are_checked()
    {
        var (op, attributes) = await RunAsync(new RedactEmailsOptions { Keys = ["user.email"] }, Traces(
            Attribute("user.email", "alice@example.com"),
            Attribute("support.contact", "help@example.com")));

        Assert.Equal(op.Hash("alice@example.com"), attributes["user.email"]);
        Assert.Equal("help@example.com", attributes["support.contact"]);
    }

    [Fact]
    public void The_salt_changes_the_hash_and_the_length_is_as_configured()
    {
        var plain = new RedactEmailsOperator(new RedactEmailsOptions(), TestOperatorContext.Create());
        var salted = new RedactEmailsOperator(new RedactEmailsOptions { Salt = "s3cret", HashLength = 32 }, TestOperatorContext.Create());

        Assert.Equal(16, plain.Hash("alice@example.com").Length);
        Assert.Equal(32, salted.Hash("alice@example.com").Length);
        Assert.False(salted.Hash("alice@example.com").StartsWith(plain.Hash("alice@example.com"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Log_bodies_and_attributes_are_redacted()
    {
        var op = new RedactEmailsOperator(new RedactEmailsOptions(), TestOperatorContext.Create());
        var record = new LogRecord { Body = new AnyValue { StringValue = "mail sent to alice@example.com" } };
        record.Attributes.Add(Attribute("to", "alice@example.com"));
        var request = new ExportLogsServiceRequest { ResourceLogs = { new ResourceLogs { ScopeLogs = { new ScopeLogs { LogRecords = { record } } } } } };
        var output = new RecordingOutput();

        await op.ProcessAsync(TelemetryBatch.Create(request), output, CancellationToken.None);

        var redacted = Assert.Single(output.On()).Logs!.ResourceLogs[0].ScopeLogs[0].LogRecords[0];
        Assert.Equal($"mail sent to {op.Hash("alice@example.com")}", redacted.Body.StringValue);
        Assert.Equal(op.Hash("alice@example.com"), redacted.Attributes[0].Value.StringValue);
    }

    /// <summary>The operator that ran, and the span's attributes after it.</summary>
    private sealed record Redacted(RedactEmailsOperator Operator, Dictionary<string, string> Attributes);
}
