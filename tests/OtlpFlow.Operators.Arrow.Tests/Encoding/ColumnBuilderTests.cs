using Apache.Arrow;
using Apache.Arrow.Types;
using OtlpFlow.Operators.Arrow.Encoding;
using OtlpFlow.Operators.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Tests.Encoding;

/// <summary>
/// The encoder's column builders pick the narrowest width and the decimal scale while appending:
/// the stored type is the size win, so it is checked here directly, not only through round trips.
/// </summary>
public sealed class ColumnBuilderTests
{
    [Theory]
    [InlineData(new long[] { -128, 127 }, ArrowTypeId.Int8)]
    [InlineData(new long[] { 0, 128 }, ArrowTypeId.Int16)]
    [InlineData(new long[] { -129 }, ArrowTypeId.Int16)]
    [InlineData(new long[] { short.MinValue, short.MaxValue }, ArrowTypeId.Int16)]
    [InlineData(new long[] { 32_768 }, ArrowTypeId.Int32)]
    [InlineData(new long[] { int.MinValue, int.MaxValue }, ArrowTypeId.Int32)]
    [InlineData(new long[] { (long)int.MaxValue + 1 }, ArrowTypeId.Int64)]
    [InlineData(new long[] { long.MinValue }, ArrowTypeId.Int64)]
    public void Signed_values_take_the_narrowest_signed_type(long[] values, ArrowTypeId expected)
    {
        using var buffers = new MessageBuffers(new TrackingMemoryAllocator());
        var column = new SignedColumn();
        foreach (var value in values)
        {
            column.Append(value);
        }

        var array = column.Build(buffers);
        Assert.Equal(expected, array.Data.DataType.TypeId);
        var read = new IntegerColumn<long>(array);
        Assert.Equal(values, Enumerable.Range(0, read.Length).Select(i => read[i]));
    }

    [Theory]
    [InlineData(new ulong[] { 0, 255 }, ArrowTypeId.UInt8)]
    [InlineData(new ulong[] { 256 }, ArrowTypeId.UInt16)]
    [InlineData(new ulong[] { 65_536 }, ArrowTypeId.UInt32)]
    [InlineData(new ulong[] { (ulong)uint.MaxValue + 1, 3 }, ArrowTypeId.UInt64)]
    public void Unsigned_values_take_the_narrowest_unsigned_type(ulong[] values, ArrowTypeId expected)
    {
        using var buffers = new MessageBuffers(new TrackingMemoryAllocator());
        var column = new UnsignedColumn();
        foreach (var value in values)
        {
            column.Append(value);
        }

        var array = column.Build(buffers);
        Assert.Equal(expected, array.Data.DataType.TypeId);
        var read = new IntegerColumn<ulong>(array);
        Assert.Equal(values, Enumerable.Range(0, read.Length).Select(i => read[i]));
    }

    [Fact]
    public void A_reused_column_forgets_the_previous_message_width_and_nulls()
    {
        using var buffers = new MessageBuffers(new TrackingMemoryAllocator());
        var column = new SignedColumn(nullable: true);
        column.Append(1_000_000);
        column.AppendNull();
        Assert.Equal(ArrowTypeId.Int32, column.Build(buffers).Data.DataType.TypeId);

        column.Clear();
        column.Append(5);
        column.Append(-5);
        var second = column.Build(buffers);
        Assert.Equal(ArrowTypeId.Int8, second.Data.DataType.TypeId);
        Assert.Equal(0, second.NullCount);
        Assert.False(second.IsNull(1));
    }

    [Theory]
    [InlineData(new[] { 1.0, -2.0 }, "v_e0")]
    [InlineData(new[] { 1.25, 0.5 }, "v_e2")]
    [InlineData(new[] { 0.5, 123.456 }, "v_e3")]
    [InlineData(new[] { 0.1, Math.PI }, "v")]
    [InlineData(new[] { -0.0 }, "v")]
    [InlineData(new[] { double.NaN }, "v")]
    public void Doubles_are_scaled_by_the_fewest_places_every_value_needs(double[] values, string expectedName)
    {
        using var buffers = new MessageBuffers(new TrackingMemoryAllocator());
        var column = new DoubleValues(nullable: true);
        foreach (var value in values)
        {
            column.Append(value);
        }

        column.AppendNull();
        var (name, array) = column.Build("v", buffers);
        Assert.Equal(expectedName, name);

        var batch = new RecordBatch(new Schema([new Field(name, array.Data.DataType, true)], null), [array], array.Length);
        var read = DoubleColumn.Of(batch, "v");
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(values[i]), BitConverter.DoubleToInt64Bits(read[i]));
        }

        Assert.True(read.IsNull(values.Length));
    }

    [Fact]
    public void Run_ends_follow_the_runs_appended()
    {
        using var buffers = new MessageBuffers(new TrackingMemoryAllocator());
        var column = new RunEndColumn();
        int[] values = [2, 2, 2, 0, 0, 5, 2];
        foreach (var value in values)
        {
            column.Append(value);
        }

        Assert.Equal(4, column.Runs);
        Assert.Equal(values, TableBuilder.ExpandRunEnds(column.Build(buffers), values.Length));
    }

    [Fact]
    public void Rented_buffers_go_back_when_the_message_is_done()
    {
        var allocator = new TrackingMemoryAllocator();
        using (var buffers = new MessageBuffers(allocator))
        {
            var column = new BinaryColumn(nullable: true);
            column.Append("text");
            column.AppendNull();
            column.Append([1, 2, 3]);
            var array = (BinaryArray)column.Build(buffers);
            Assert.True(allocator.LiveBytes > 0);
            Assert.Equal([1, 2, 3], array.GetBytes(2).ToArray());
            Assert.True(array.IsNull(1));
        }

        Assert.Equal(0, allocator.LiveBytes);
    }
}
