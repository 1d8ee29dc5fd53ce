using OtlpFlow.Operators.Arrow.Memory;

namespace OtlpFlow.Operators.Arrow.Tests.Memory;

public sealed class TrackingMemoryAllocatorTests
{
    [Fact]
    public void Live_bytes_count_allocations_and_reservations_until_they_are_released()
    {
        var allocator = new TrackingMemoryAllocator();
        var owner = allocator.Allocate(1000);
        var lease = allocator.Reserve(500);
        Assert.Equal(1500, allocator.LiveBytes);

        owner.Dispose();
        owner.Dispose();
        Assert.Equal(500, allocator.LiveBytes);
        lease.Dispose();
        Assert.Equal(0, allocator.LiveBytes);
        Assert.Equal(1500, allocator.PeakBytes);
    }

    [Fact]
    public async Task Waiting_for_room_holds_while_over_the_limit_and_resumes_when_memory_is_released()
    {
        var allocator = new TrackingMemoryAllocator(limit: 1000);
        await allocator.WaitForRoomAsync();

        var held = allocator.Reserve(1200);
        var waiting = allocator.WaitForRoomAsync();
        Assert.False(waiting.IsCompleted);

        var small = allocator.Reserve(100);
        small.Dispose();
        Assert.False(waiting.IsCompleted);

        held.Dispose();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, allocator.LiveBytes);
    }

    [Fact]
    public async Task Waiting_for_room_can_be_cancelled()
    {
        var allocator = new TrackingMemoryAllocator(limit: 10);
        using var held = allocator.Reserve(10);
        using var cancel = new CancellationTokenSource();
        var waiting = allocator.WaitForRoomAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
