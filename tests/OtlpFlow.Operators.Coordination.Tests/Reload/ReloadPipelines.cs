namespace OtlpFlow.Operators.Coordination.Tests.Reload;

/// <summary>Pipelines for the reload tests: a paced generator into a counting sink, and a spec that does not validate.</summary>
public static class ReloadPipelines
{
    public static string Good(string name, int seed = 1) => $$"""
        { "name": "{{name}}", "operators": {
            "gen":  { "type": "generate", "rate": 20000, "batchSize": 100, "seed": {{seed}} },
            "keep": { "type": "filter", "inputs": ["gen"], "drop": { "none": "false" } },
            "sink": { "type": "test.sink", "inputs": ["keep"] } } }
        """;

    public const string Bad = """
        { "name": "broken", "operators": {
            "gen":  { "type": "generate", "rate": 20000 },
            "sink": { "type": "no.such.operator", "inputs": ["gen"] } } }
        """;
}
