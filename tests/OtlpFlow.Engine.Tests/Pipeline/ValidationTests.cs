using OtlpFlow.Engine.Pipeline;

namespace OtlpFlow.Engine.Tests.Pipeline;

public sealed class ValidationTests
{
    private readonly EngineFixture _f = new();

    [Fact]
    public void Reports_an_unknown_type_a_dangling_input_and_a_cycle_together_with_positions()
    {
        var errors = _f.Validate("""
        {
          "operators": {
            "src":  { "type": "test.sourse" },
            "a":    { "type": "test.pass", "inputs": ["b"] },
            "b":    { "type": "test.pass", "inputs": ["a"] },
            "sink": { "type": "test.sink", "inputs": ["srx"] }
          }
        }
        """);

        Assert.Equal(3, errors.Count);
        var type = errors[0];
        Assert.Equal((3, 15), (type.Line, type.Column)); // the "type" key of src
        Assert.Equal("src", type.OperatorId);
        Assert.Contains("unknown operator type 'test.sourse'; did you mean 'test.source'?", type.Message, StringComparison.Ordinal);

        var cycle = errors[1];
        Assert.Equal(4, cycle.Line);
        Assert.Contains("cycle: a → b → a", cycle.Message, StringComparison.Ordinal);

        var dangling = errors[2];
        Assert.Equal((6, 47), (dangling.Line, dangling.Column)); // the "srx" element
        Assert.Contains("input 'srx' names no operator; did you mean 'src'?", dangling.Message, StringComparison.Ordinal);
        Assert.Equal("test.json:6:47: operator 'sink': input 'srx' names no operator; did you mean 'src'?", dangling.ToString());
    }

    [Fact]
    public void Reports_option_errors_with_the_operator_and_key()
    {
        var errors = _f.Validate("""
        { "operators": {
            "src":  { "type": "test.source", "batches": "many", "spanPerBatch": 3 },
            "sink": { "type": "test.sink", "inputs": ["src"] } } }
        """);

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.OperatorId == "src" && e.Message == "'batches' must be an integer, got \"many\"");
        Assert.Contains(errors, e => e.OperatorId == "src" && e.Message.StartsWith("'spanPerBatch' unknown option; did you mean 'spansPerBatch'?", StringComparison.Ordinal));
    }

    [Fact]
    public void Reports_unknown_ports_sinks_used_as_inputs_and_missing_inputs()
    {
        var errors = _f.Validate("""
        { "operators": {
            "src":   { "type": "test.source" },
            "route": { "type": "test.ports", "inputs": ["src"], "routes": ["errors", "rest"] },
            "a":     { "type": "test.sink", "inputs": ["route.eror"] },
            "b":     { "type": "test.sink", "inputs": ["a"] },
            "c":     { "type": "test.pass" },
            "d":     { "type": "test.source", "inputs": ["src"] } } }
        """);

        Assert.Contains(errors, e => e.OperatorId == "a" && e.Message.Contains("has no port 'eror'", StringComparison.Ordinal) && e.Message.Contains("did you mean 'route.errors'?", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.OperatorId == "b" && e.Message.Contains("'a' is a sink (test.sink) and has no output port 'out'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.OperatorId == "c" && e.Message.Contains("needs at least one input", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.OperatorId == "d" && e.Message.Contains("is a source and takes no inputs", StringComparison.Ordinal));
    }

    [Fact]
    public void Reports_an_operator_fed_only_by_a_cycle_as_unreachable()
    {
        var errors = _f.Validate("""
        { "operators": {
            "src":  { "type": "test.source" },
            "sink": { "type": "test.sink", "inputs": ["src"] },
            "a":    { "type": "test.pass", "inputs": ["b"] },
            "b":    { "type": "test.pass", "inputs": ["a"] },
            "c":    { "type": "test.sink", "inputs": ["b"] } } }
        """);

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Message.StartsWith("cycle:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.OperatorId == "c" && e.Message.StartsWith("unreachable", StringComparison.Ordinal));
    }

    [Fact]
    public void Reports_a_syntax_error_with_its_position()
    {
        var error = Assert.Throws<PipelineValidationException>(() => PipelineLoader.Parse("{\n  \"operators\": {\n    \"a\": { \"type\": }\n  }\n}", "bad.json"));
        var only = Assert.Single(error.Errors);
        Assert.Equal(3, only.Line);
        Assert.StartsWith("not valid JSON", only.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_unknown_top_level_keys_and_bad_reserved_values()
    {
        var errors = _f.Validate("""
        { "operator": {}, "memoryLimit": "lots",
          "operators": {
            "src":  { "type": "test.source", "capacity": 0 },
            "sink": { "type": "test.sink", "inputs": "src" } } }
        """);

        Assert.Contains(errors, e => e.Message.Contains("unknown key 'operator'; did you mean 'operators'?", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("'memoryLimit' must be a size", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.OperatorId == "src" && e.Message.Contains("'capacity' must be a whole number above 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.OperatorId == "sink" && e.Message.Contains("'inputs' must be a list: [\"src\"]", StringComparison.Ordinal));
    }

    [Fact]
    public void A_valid_pipeline_has_no_errors()
    {
        var errors = _f.Validate("""
        { "defaults": { "capacity": 8 }, "memoryLimit": "64MiB", "drainTimeout": "5s",
          "operators": {
            "src":  { "type": "test.source" },
            "route": { "type": "test.ports", "inputs": ["src"], "routes": ["errors", "rest"] },
            "sink": { "type": "test.sink", "inputs": ["route.errors", "route.rest", "route.dropped"] } } }
        """);

        Assert.Empty(errors);
    }
}
