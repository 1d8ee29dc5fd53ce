using System.Text.Json;
using System.Text.Json.Nodes;
using OtlpFlow.Engine.Conditions;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Engine.Tests.Conditions;

public sealed class ConditionJsonConverterTests
{
    [Fact]
    public void A_condition_option_is_read_from_a_string()
    {
        var options = JsonSerializer.Deserialize<ConditionJsonOptions>(
            """{ "when": "kind == SERVER", "routes": { "errors": "status.code == ERROR" } }""", OptionsBinder.SerializerOptions)!;
        Assert.Equal("kind == SERVER", options.When!.Text);
        Assert.Equal("status.code == ERROR", options.Routes["errors"].Text);
    }

    [Fact]
    public void A_condition_is_written_as_its_text()
    {
        var json = JsonSerializer.Serialize(new ConditionJsonOptions { When = Condition.Parse("name == \"a\"") }, OptionsBinder.SerializerOptions);
        Assert.Contains("\"when\":\"name == \\u0022a\\u0022\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_condition_is_a_json_error_with_the_parse_message()
    {
        var error = Assert.Throws<JsonException>(() =>
            JsonSerializer.Deserialize<ConditionJsonOptions>("""{ "when": "name == " }""", OptionsBinder.SerializerOptions));
        Assert.StartsWith("must be a valid condition: at column 9: expected a value after '==', got end of input", error.Message, StringComparison.Ordinal);
        Assert.IsType<ConditionParseException>(error.InnerException);
    }

    [Fact]
    public void The_options_binder_reports_a_bad_condition_under_its_key()
    {
        var errors = new List<OptionError>();
        var bound = OptionsBinder.Bind(typeof(ConditionJsonOptions), JsonNode.Parse("""{ "routes": { "slow": "duraton > 1s" } }""")!.AsObject(), errors);
        Assert.Null(bound);
        var error = Assert.Single(errors);
        Assert.Equal("routes.slow", error.Key);
        Assert.StartsWith("must be a valid condition: at column 1: unknown field 'duraton'; did you mean 'duration'?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_condition_that_is_not_a_string_is_refused()
    {
        var errors = new List<OptionError>();
        OptionsBinder.Bind(typeof(ConditionJsonOptions), JsonNode.Parse("""{ "when": 5 }""")!.AsObject(), errors);
        var error = Assert.Single(errors);
        Assert.Equal("when", error.Key);
        Assert.StartsWith("must be a condition in a string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_condition_binds_to_null()
    {
        var errors = new List<OptionError>();
        var bound = (ConditionJsonOptions?)OptionsBinder.Bind(typeof(ConditionJsonOptions), JsonNode.Parse("""{ "when": null }""")!.AsObject(), errors);
        Assert.Empty(errors);
        Assert.Null(bound!.When);
    }
}
