using Apache.Arrow;
using Apache.Arrow.Memory;
using OpenTelemetry.Proto.Common.V1;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Operators.Arrow.Tests.Encoding;

/// <summary>
/// The reading side of attribute tables on tables no encoder writes: positions that are not
/// 0..n-1 within a parent still come back in position order, and a parent out of range is an
/// <see cref="InvalidDataException"/>.
/// </summary>
public sealed class AttributeTableReadTests
{
    private static readonly string[] Keys = ["a", "b", "c"];

    [Fact]
    public void Positions_with_gaps_come_back_in_position_order()
    {
        // Parent 1 has positions 5 and 2 (a gap and out of order), parent 0 positions 0 and 1.
        var parents = Read([(1, 0, 5), (0, 1, 0), (1, 2, 2), (0, 0, 1)], parentCount: 2);

        Assert.Equal(["b", "a"], parents[0].Select(kv => kv.Key));
        Assert.Equal(["c", "a"], parents[1].Select(kv => kv.Key));
        Assert.Equal(["c-value", "a-value"], parents[1].Select(kv => kv.Value.StringValue));
    }

    [Fact]
    public void Repeated_positions_keep_every_attribute()
    {
        var parents = Read([(0, 0, 0), (0, 1, 0), (1, 2, 0)], parentCount: 2);

        Assert.Equal(["a", "b"], parents[0].Select(kv => kv.Key).Order());
        Assert.Equal(["c"], parents[1].Select(kv => kv.Key));
    }

    [Fact]
    public void Canonical_positions_come_back_in_order()
    {
        var parents = Read([(0, 0, 2), (2, 2, 1), (0, 1, 0), (2, 0, 0), (0, 2, 1)], parentCount: 3);

        Assert.Equal(["b", "c", "a"], parents[0].Select(kv => kv.Key));
        Assert.Empty(parents[1]);
        Assert.Equal(["a", "c"], parents[2].Select(kv => kv.Key));
    }

    [Fact]
    public void A_parent_out_of_range_is_invalid_data()
    {
        Assert.Throws<InvalidDataException>(() => Read([(0, 0, 0), (3, 1, 0)], parentCount: 2));
    }

    /// <summary>
    /// Builds an attribute table of (parent, key, position) rows, each a string value "{key}-value",
    /// written in the given order with absolute (not delta) parents and positions, and reads it.
    /// </summary>
    private static KeyValue[][] Read((uint Parent, uint Key, int Ordinal)[] rows, int parentCount)
    {
        // Each row its own run (a different key from the row before) keeps the parents and positions absolute.
        for (var i = 1; i < rows.Length; i++)
        {
            Assert.NotEqual(rows[i - 1].Key, rows[i].Key);
        }

        var allocator = new NativeMemoryAllocator();
        var strings = new StringDictionary(100, 10_000);
        var keys = new StringDictionaryReader();
        var values = new StringDictionaryReader();
        foreach (var name in Keys)
        {
            keys.Append(name);
        }

        var parent = new UInt32Array.Builder();
        var key = new UInt32Array.Builder();
        var ordinal = new Int32Array.Builder();
        var columns = new AnyValueColumns();
        foreach (var (p, k, o) in rows)
        {
            parent.Append(p);
            key.Append(k);
            ordinal.Append(o);
            columns.Append(AnyValueColumns.Classify(new AnyValue { StringValue = Keys[k] + "-value" }, strings));
        }

        foreach (var value in strings.Pending)
        {
            values.Append(value);
        }

        var table = new TableBuilder(allocator)
            .Add("parent_id", parent.Build(allocator))
            .Add("key", key.Build(allocator))
            .Add("ordinal", ordinal.Build(allocator));
        columns.AddTo(table, "value_");
        using var batch = table.Build(rows.Length);
        var targets = Enumerable.Range(0, parentCount).Select(_ => new KeyValueList()).ToArray();
        var scratch = new ReadScratch();
        try
        {
            AttributeTable.Read(batch, keys, values, scratch, targets, static t => t.Values);
        }
        finally
        {
            scratch.Return();
        }

        return targets.Select(t => t.Values.ToArray()).ToArray();
    }
}
