namespace OtlpFlow.Cli.Perf;

/// <summary>Where the run took place.</summary>
internal sealed record PerfMachine(string Os, string Runtime, int ProcessorCount, string Configuration);
