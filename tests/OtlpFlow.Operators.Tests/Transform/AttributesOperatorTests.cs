using System.Reflection;
using System.Text.Json.Nodes;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Options;
using OtlpFlow.Engine.Telemetry;
using OtlpFlow.Engine.Testing;
using OtlpFlow.Operators.Transform;
using static OtlpFlow.Operators.Tests.Transform.TransformTestData;

namespace OtlpFlow.Operators.Tests.Transform;

public sealed class AttributesOperatorTests
{
    // SHA-256 of the UTF-8 bytes of "hello", a well-known test vector.
    private const string HelloSha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    private static AttributesOperator Operator(params AttributeActionOptions[] actions) =>
        new(new AttributesOptions { Actions = [.. actions] }, TestOperatorContext.Create(id: "attrs", type: "attributes"));

    private static AttributeActionOptions Action(AttributeAction action, string key, object? value = null, AttributeTarget on = AttributeTarget.Item, string? when = null) =>
        new() { Action = action, Key = key, Value = value, On = on, When = when is null ? null : Condition.Parse(when) };

    private static async Task<TelemetryBatch> Run(AttributesOperator op, TelemetryBatch batch)
    {
        var output = new RecordingOutput();
        await op.ProcessAsync(batch, output, CancellationToken.None);
        return Assert.Single(output.On());
    }

    /// <summary>A request with one span, whose resource, scope and span each have "present" = "hello".</summary>
    private static ExportTraceServiceRequest OneSpan()
    {
        var request = Traces();
        var resourceSpans = request.ResourceSpans[0];
        request.ResourceSpans.RemoveAt(1);
        resourceSpans.ScopeSpans.RemoveAt(1);
        var scopeSpans = resourceSpans.ScopeSpans[0];
        while (scopeSpans.Spans.Count > 1)
        {
            scopeSpans.Spans.RemoveAt(1);
        }

        resourceSpans.Resource.Attributes.Add(Attribute("present", "hello"));
        scopeSpans.Scope.Attributes.Add(Attribute("present", "hello"));
        scopeSpans.Spans[0].Attributes.Add(Attribute("present", "hello"));
        return request;
    }

    private static RepeatedField<KeyValue> Target(ExportTraceServiceRequest request, AttributeTarget on) => on switch
    {
        AttributeTarget.Resource => request.ResourceSpans[0].Resource.Attributes,
        AttributeTarget.Scope => request.ResourceSpans[0].ScopeSpans[0].Scope.Attributes,
        _ => request.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes,
    };

    private static string? Get(RepeatedField<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value.StringValue;

    [Theory]
    [InlineData(AttributeTarget.Item)]
    [InlineData(AttributeTarget.Resource)]
    [InlineData(AttributeTarget.Scope)]
    public async Task Insert_sets_only_absent_keys(AttributeTarget on)
    {
        var request = OneSpan();
        await Run(Operator(Action(AttributeAction.Insert, "present", "new", on), Action(AttributeAction.Insert, "absent", "new", on)), TelemetryBatch.Create(request));

        Assert.Equal("hello", Get(Target(request, on), "present"));
        Assert.Equal("new", Get(Target(request, on), "absent"));
    }

    [Theory]
    [InlineData(AttributeTarget.Item)]
    [InlineData(AttributeTarget.Resource)]
    [InlineData(AttributeTarget.Scope)]
    public async Task Update_sets_only_present_keys(AttributeTarget on)
    {
        var request = OneSpan();
        await Run(Operator(Action(AttributeAction.Update, "present", "new", on), Action(AttributeAction.Update, "absent", "new", on)), TelemetryBatch.Create(request));

        Assert.Equal("new", Get(Target(request, on), "present"));
        Assert.Null(Get(Target(request, on), "absent"));
    }

    [Theory]
    [InlineData(AttributeTarget.Item)]
    [InlineData(AttributeTarget.Resource)]
    [InlineData(AttributeTarget.Scope)]
    public async Task Upsert_sets_present_and_absent_keys(AttributeTarget on)
    {
        var request = OneSpan();
        await Run(Operator(Action(AttributeAction.Upsert, "present", "new", on), Action(AttributeAction.Upsert, "absent", "new", on)), TelemetryBatch.Create(request));

        Assert.Equal("new", Get(Target(request, on), "present"));
        Assert.Equal("new", Get(Target(request, on), "absent"));
        Assert.Single(Target(request, on), a => a.Key == "present");
    }

    [Theory]
    [InlineData(AttributeTarget.Item)]
    [InlineData(AttributeTarget.Resource)]
    [InlineData(AttributeTarget.Scope)]
    public async Task Delete_removes_the_key(AttributeTarget on)
    {
        var request = OneSpan();
        Target(request, on).Add(Attribute("present", "repeated by a careless sender"));
        await Run(Operator(Action(AttributeAction.Delete, "present", on: on), Action(AttributeAction.Delete, "absent", on: on)), TelemetryBatch.Create(request));

        Assert.DoesNotContain(Target(request, on), a => a.Key == "present");
    }

    [Theory]
    [InlineData(AttributeTarget.Item)]
    [InlineData(AttributeTarget.Resource)]
    [InlineData(AttributeTarget.Scope)]
    public async Task Hash_replaces_a_value_with_its_lowercase_hex_sha256(AttributeTarget on)
    {
        var request = OneSpan();
        await Run(Operator(Action(AttributeAction.Hash, "present", on: on), Action(AttributeAction.Hash, "absent", on: on)), TelemetryBatch.Create(request));

        Assert.Equal(HelloSha256, Get(Target(request, on), "present"));
        Assert.Null(Get(Target(request, on), "absent"));
    }

    [Fact]
    public void Hash_of_non_string_values_uses_their_text_and_leaves_lists_alone()
    {
        Assert.Equal(HelloSha256, AttributesOperator.Hash(new AnyValue { StringValue = "hello" }));
        Assert.Equal(AttributesOperator.Hash(new AnyValue { StringValue = "42" }), AttributesOperator.Hash(new AnyValue { IntValue = 42 }));
        Assert.Equal(AttributesOperator.Hash(new AnyValue { StringValue = "true" }), AttributesOperator.Hash(new AnyValue { BoolValue = true }));
        Assert.Null(AttributesOperator.Hash(new AnyValue { ArrayValue = new ArrayValue() }));
    }

    [Fact]
    public async Task Actions_apply_in_order()
    {
        var request = OneSpan();
        await Run(Operator(
            Action(AttributeAction.Upsert, "user", "hello"),
            Action(AttributeAction.Hash, "user"),
            Action(AttributeAction.Insert, "user", "not inserted: present by now")), TelemetryBatch.Create(request));

        Assert.Equal(HelloSha256, Get(Target(request, AttributeTarget.Item), "user"));
    }

    [Fact]
    public async Task When_limits_item_actions_to_matching_items()
    {
        var request = Traces();
        await Run(Operator(Action(AttributeAction.Insert, "error", "yes", when: "status.code == ERROR")), TelemetryBatch.Create(request));

        var tagged = request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).Where(s => Get(s.Attributes, "error") == "yes");
        Assert.Equal("charge", Assert.Single(tagged).Name);
    }

    [Fact]
    public async Task When_on_a_resource_action_is_evaluated_on_the_resource()
    {
        var request = Traces();
        await Run(Operator(Action(AttributeAction.Upsert, "team", "payments", AttributeTarget.Resource, when: "service == \"billing\"")), TelemetryBatch.Create(request));

        Assert.Null(Get(request.ResourceSpans[0].Resource.Attributes, "team"));
        Assert.Equal("payments", Get(request.ResourceSpans[1].Resource.Attributes, "team"));
    }

    [Fact]
    public async Task Inserting_on_a_missing_resource_or_scope_creates_it()
    {
        var request = OneSpan();
        request.ResourceSpans[0].Resource = null;
        request.ResourceSpans[0].ScopeSpans[0].Scope = null;
        await Run(Operator(
            Action(AttributeAction.Delete, "x", on: AttributeTarget.Resource),
            Action(AttributeAction.Insert, "env", "prod", AttributeTarget.Resource),
            Action(AttributeAction.Upsert, "lib", "v1", AttributeTarget.Scope)), TelemetryBatch.Create(request));

        Assert.Equal("prod", Get(request.ResourceSpans[0].Resource.Attributes, "env"));
        Assert.Equal("v1", Get(request.ResourceSpans[0].ScopeSpans[0].Scope.Attributes, "lib"));
    }

    [Fact]
    public async Task Values_keep_their_json_type()
    {
        var request = OneSpan();
        await Run(Operator(
            Action(AttributeAction.Insert, "int", 42L),
            Action(AttributeAction.Insert, "double", 0.5),
            Action(AttributeAction.Insert, "bool", true)), TelemetryBatch.Create(request));

        var attributes = Target(request, AttributeTarget.Item);
        Assert.Equal(42, attributes.Single(a => a.Key == "int").Value.IntValue);
        Assert.Equal(0.5, attributes.Single(a => a.Key == "double").Value.DoubleValue);
        Assert.True(attributes.Single(a => a.Key == "bool").Value.BoolValue);
    }

    [Fact]
    public async Task Log_record_attributes_are_changed()
    {
        var logs = Logs(SeverityNumber.Debug, SeverityNumber.Error);
        var batch = TelemetryBatch.Create(logs);
        await Run(Operator(Action(AttributeAction.Insert, "alert", "page", when: "severity >= ERROR")), batch);

        var records = logs.ResourceLogs[0].ScopeLogs[0].LogRecords;
        Assert.Null(Get(records[0].Attributes, "alert"));
        Assert.Equal("page", Get(records[1].Attributes, "alert"));
    }

    [Fact]
    public async Task Data_point_attributes_of_every_metric_type_are_changed()
    {
        var metrics = Metrics();
        await Run(Operator(Action(AttributeAction.Update, "host", "masked", when: "attributes[\"host\"] == \"web-2\"")), TelemetryBatch.Create(metrics));

        foreach (var metric in metrics.ResourceMetrics[0].ScopeMetrics[0].Metrics)
        {
            Assert.Equal("web-1", Get(DataPointView.At(metric, 0).Attributes, "host"));
            Assert.Equal("masked", Get(DataPointView.At(metric, 1).Attributes, "host"));
        }
    }

    [Fact]
    public async Task The_same_batch_is_emitted_and_the_operator_declares_that_it_mutates()
    {
        var op = Operator(Action(AttributeAction.Delete, "present"));
        var batch = TelemetryBatch.Create(OneSpan());

        Assert.Same(batch, await Run(op, batch));
        Assert.True(op.MutatesData);
        Assert.Equal("attributes", typeof(AttributesOperator).GetCustomAttribute<OperatorAttribute>()!.Type);
    }

    [Fact]
    public void Options_bind_from_json()
    {
        var errors = new List<OptionError>();
        var options = (AttributesOptions?)OptionsBinder.Bind(typeof(AttributesOptions), JsonNode.Parse("""
            { "actions": [
                { "action": "upsert", "key": "env", "value": "prod", "on": "resource" },
                { "action": "insert", "key": "retries", "value": 3 },
                { "action": "insert", "key": "ratio", "value": 0.25, "when": "kind == SERVER" },
                { "action": "hash", "key": "user.email", "on": "item" },
                { "action": "delete", "key": "secret", "on": "scope" }
            ] }
            """)!.AsObject(), errors);

        Assert.Empty(errors);
        var actions = options!.Actions;
        Assert.Equal(AttributeTarget.Resource, actions[0].On);
        Assert.Equal("prod", actions[0].Value);
        Assert.Equal(3L, actions[1].Value);
        Assert.Equal(0.25, actions[2].Value);
        Assert.Equal("kind == SERVER", actions[2].When!.Text);
        Assert.Equal(AttributeAction.Hash, actions[3].Action);
        Assert.Equal(AttributeTarget.Item, actions[1].On);
        Assert.Equal(AttributeTarget.Scope, actions[4].On);
    }

    [Theory]
    [InlineData("""{ "action": "insert", "key": "a" }""", "actions[1].value", "is required for 'insert'")]
    [InlineData("""{ "action": "update", "key": "a" }""", "actions[1].value", "is required for 'update'")]
    [InlineData("""{ "action": "upsert", "key": "a" }""", "actions[1].value", "is required for 'upsert'")]
    [InlineData("""{ "action": "delete", "key": "a", "value": 1 }""", "actions[1].value", "is not used by 'delete'")]
    [InlineData("""{ "action": "upsert", "key": "", "value": 1 }""", "actions[1].key", "must not be empty")]
    [InlineData("""{ "action": "upsert", "value": 1 }""", "actions[1].key", "is required")]
    [InlineData("""{ "key": "a", "value": 1 }""", "actions[1].action", "is required")]
    [InlineData("""{ "action": "upsert", "key": "a", "value": [1] }""", "actions[1].value", "must be a string, a number, true or false, got a list")]
    [InlineData("""{ "action": "insert", "key": "a", "value": 1, "when": "kind == SERVR" }""", "actions[1].when", "must be a valid condition: at column 9: 'kind' is compared with one of")]
    [InlineData("""{ "action": "insert", "key": "a", "value": 1, "wehn": "kind == SERVER" }""", "actions[1].wehn", "did you mean 'when'?")]
    public void Invalid_actions_are_option_errors_naming_the_action(string secondAction, string key, string message)
    {
        var errors = new List<OptionError>();
        var options = OptionsBinder.Bind(typeof(AttributesOptions), JsonNode.Parse($$"""
            { "actions": [ { "action": "delete", "key": "ok" }, {{secondAction}} ] }
            """)!.AsObject(), errors);

        Assert.Null(options);
        var error = Assert.Single(errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_actions_is_an_option_error()
    {
        var errors = new List<OptionError>();
        OptionsBinder.Bind(typeof(AttributesOptions), JsonNode.Parse("""{ "actions": [] }""")!.AsObject(), errors);

        var error = Assert.Single(errors);
        Assert.Equal("actions", error.Key);
        Assert.Equal("must list at least one action", error.Message);
    }

    [Fact]
    public void The_constructor_refuses_an_action_without_a_value()
    {
        var error = Assert.Throws<ArgumentException>(() => Operator(Action(AttributeAction.Delete, "a"), Action(AttributeAction.Upsert, "b")));
        Assert.StartsWith("actions[1].value is required for 'upsert'", error.Message, StringComparison.Ordinal);
    }
}
