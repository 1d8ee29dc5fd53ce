using System.Buffers;

namespace OtlpFlow.Operators.Tests.Sampling;

/// <summary>Byte sequences over several segments, for readers that must not assume one contiguous buffer.</summary>
internal static class Segments
{
    /// <summary><paramref name="bytes"/> over <paramref name="parts"/> segments of uneven sizes (fewer when too short).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int parts)
    {
        if (bytes.Length < parts * 2)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        // Cut points that fall inside fields: a third, then a seventh further.
        var cuts = new List<int>();
        var at = 0;
        for (var i = 1; i < parts; i++)
        {
            at += Math.Max(1, (bytes.Length - at) / (i % 2 == 1 ? 3 : 7));
            cuts.Add(at);
        }

        cuts.Add(bytes.Length);
        var first = new Segment(bytes.AsMemory(0, cuts[0]), 0);
        var last = first;
        for (var i = 1; i < cuts.Count; i++)
        {
            last = last.Append(bytes.AsMemory(cuts[i - 1], cuts[i] - cuts[i - 1]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
