using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace OtlpFlow.Benchmarks.Arrow;

/// <summary>
/// Adds the Arrow benchmarks' own columns: <c>Bytes/item</c> (deterministic: the method is run
/// once more on fresh data to count its output; for the decode benchmarks, the size of the input)
/// and <c>Items/s</c> or <c>GB/s</c> from the mean time.
/// </summary>
public sealed class ArrowColumnsConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public ArrowColumnsConfig() => AddColumn(new BytesPerItemColumn(), new RateColumn());

    private sealed class BytesPerItemColumn : IColumn
    {
        public string Id => nameof(BytesPerItemColumn);
        public string ColumnName => "Bytes/item";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        // The legends are the encode benchmarks' (their output stays as it was); for the decode
        // benchmarks Bytes/item is the input's size and Rate items decoded per second.
        public string Legend => "Output bytes per span, data point or log record (20 batches of 1000, stream mode)";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            if (benchmarkCase.Descriptor.Type == typeof(ArrowDecodeBenchmarks))
            {
                return DecodeInput(benchmarkCase);
            }

            if (benchmarkCase.Descriptor.Type != typeof(ArrowEncodeBenchmarks))
            {
                return "-";
            }

            var bench = new ArrowEncodeBenchmarks();
            foreach (var parameter in benchmarkCase.Parameters.Items)
            {
                typeof(ArrowEncodeBenchmarks).GetProperty(parameter.Name)!.SetValue(bench, parameter.Value);
            }

            // Column values are computed outside the measured runs; blocking here costs nothing measured.
            bench.Setup().GetAwaiter().GetResult();
            try
            {
                var bytes = (long)benchmarkCase.Descriptor.WorkloadMethod.Invoke(bench, null)!;
                return (bytes / (double)ArrowEncodeBenchmarks.ItemsPerOperation).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
            }
            finally
            {
                bench.Cleanup();
            }
        }

        private static string DecodeInput(BenchmarkCase benchmarkCase)
        {
            var bench = new ArrowDecodeBenchmarks();
            foreach (var parameter in benchmarkCase.Parameters.Items)
            {
                typeof(ArrowDecodeBenchmarks).GetProperty(parameter.Name)!.SetValue(bench, parameter.Value);
            }

            bench.Setup().GetAwaiter().GetResult();
            try
            {
                var bytes = bench.InputBytes(benchmarkCase.Descriptor.WorkloadMethod.Name);
                return (bytes / (double)ArrowDecodeBenchmarks.ItemsPerOperation).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
            }
            finally
            {
                bench.Cleanup();
            }
        }
    }

    private sealed class RateColumn : IColumn
    {
        public string Id => nameof(RateColumn);
        public string ColumnName => "Rate";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 1;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Items per second (encode benchmarks) or GB per second (IPC benchmarks), from the mean";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (mean is null or <= 0)
            {
                return "-";
            }

            var seconds = mean.Value / 1e9;
            var culture = System.Globalization.CultureInfo.InvariantCulture;
            return benchmarkCase.Descriptor.Type == typeof(ArrowIpcBenchmarks)
                ? (ArrowIpcBenchmarks.BytesPerOperation / seconds / 1e9).ToString("F2", culture) + " GB/s"
                : (ArrowEncodeBenchmarks.ItemsPerOperation / seconds / 1e6).ToString("F2", culture) + " M items/s";
        }
    }
}
