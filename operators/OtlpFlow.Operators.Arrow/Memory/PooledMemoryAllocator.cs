using System.Buffers;
using Apache.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Memory;

/// <summary>
/// An Arrow <see cref="MemoryAllocator"/> that rents managed arrays from the shared array pool and
/// gives them back when the owner is disposed. Encoding and decoding take and return dozens of
/// buffers per message; renting avoids a native allocation, a zero fill of fresh memory and a
/// finalizable owner for each. Buffers are cleared when rented, as Arrow's native allocator does.
/// </summary>
internal sealed class PooledMemoryAllocator : MemoryAllocator
{
    /// <summary>The allocator of encoders and decoders made without one.</summary>
    public static PooledMemoryAllocator Shared { get; } = new();

    /// <summary>Creates an allocator.</summary>
    public PooledMemoryAllocator()
        : base(DefaultAlignment)
    {
    }

    /// <inheritdoc />
    protected override IMemoryOwner<byte> AllocateInternal(int length, out int bytesAllocated)
    {
        var array = ArrayPool<byte>.Shared.Rent(length);
        System.Array.Clear(array, 0, length);
        bytesAllocated = length;
        return new Owner(array, length);
    }

    private sealed class Owner(byte[] array, int length) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => new(_array ?? throw new ObjectDisposedException(nameof(PooledMemoryAllocator)), 0, length);

        public void Dispose()
        {
            var rented = Interlocked.Exchange(ref _array, null);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
