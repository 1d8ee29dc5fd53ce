using BenchmarkDotNet.Running;

// Run one class: dotnet run -c Release --project perf/OtlpFlow.Benchmarks -- --filter '*EnginePipeline*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point holder for BenchmarkSwitcher.</summary>
public sealed partial class Program;
