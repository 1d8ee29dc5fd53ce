namespace OtlpFlow.Hosting.Tests.TestOperators;

/// <summary>A service the counting sink adds to.</summary>
public sealed class SpanTally
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Add(long spans) => Interlocked.Add(ref _count, spans);
}
