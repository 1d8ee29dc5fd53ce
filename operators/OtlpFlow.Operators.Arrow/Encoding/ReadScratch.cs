using System.Numerics;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// Working arrays of a stream's decoder (widened columns, sort orders), kept from one message to
/// the next: the n-th array of a type a message asks for is the n-th the previous message used,
/// grown when too short. Messages of a stream have much the same shape, so after the first message
/// nothing is allocated. (The shared array pools hold a few arrays of a size per core, fewer than a
/// message uses, and dropped the rest.) The arrays hold nothing the decoded requests keep. Not thread-safe.
/// </summary>
internal sealed class ReadScratch
{
    private readonly Slots<byte> _bytes = new();
    private readonly Slots<int> _ints = new();
    private readonly Slots<uint> _uints = new();
    private readonly Slots<long> _longs = new();
    private readonly Slots<ulong> _ulongs = new();

    /// <summary>An array of at least <paramref name="length"/> values with unspecified contents, valid until <see cref="Return"/>.</summary>
    public T[] Rent<T>(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        object slots = typeof(T) == typeof(byte) ? _bytes
            : typeof(T) == typeof(int) ? _ints
            : typeof(T) == typeof(uint) ? _uints
            : typeof(T) == typeof(long) ? _longs
            : typeof(T) == typeof(ulong) ? _ulongs
            : throw new NotSupportedException($"No scratch arrays of {typeof(T)}.");
        return ((Slots<T>)slots).Next(length);
    }

    /// <summary>
    /// The first <paramref name="length"/> values of an integer column, widened into a scratch
    /// array (which may be longer: index it below <paramref name="length"/> only).
    /// </summary>
    /// <exception cref="InvalidDataException">The column holds fewer than <paramref name="length"/> values.</exception>
    public T[] Widen<T>(IntegerColumn<T> column, int length) where T : struct, IBinaryInteger<T>
    {
        if (column.Length < length)
        {
            throw new InvalidDataException($"A column holds {column.Length} values; its table has {length} rows.");
        }

        var array = Rent<T>(column.Length);
        column.CopyTo(array);
        return array;
    }

    /// <summary>Ends a message: every array may be handed out again.</summary>
    public void Return()
    {
        _bytes.Reset();
        _ints.Reset();
        _uints.Reset();
        _longs.Reset();
        _ulongs.Reset();
    }

    private sealed class Slots<T>
    {
        private readonly List<T[]> _arrays = [];
        private int _used;

        public T[] Next(int length)
        {
            if (_used == _arrays.Count)
            {
                _arrays.Add([]);
            }

            var array = _arrays[_used];
            if (array.Length < length)
            {
                // Rounded up so that a slightly longer table next time fits.
                array = new T[Math.Max(16, (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)length), (uint)Array.MaxLength))];
                _arrays[_used] = array;
            }

            _used++;
            return array;
        }

        public void Reset() => _used = 0;
    }
}
