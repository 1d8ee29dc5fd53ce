using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Engine.Tests.Telemetry;

public sealed class AcknowledgementTests
{
    [Fact]
    public async Task A_request_settles_when_its_last_share_settles()
    {
        var (share, tracker) = Acknowledgement.Create();
        var a = share.AddShare();
        var b = share.AddShare();
        share.Deliver();
        a.Deliver();
        Assert.False(tracker.Completion.IsCompleted);

        b.Refuse(3, "sampled out");
        var result = await tracker.Completion;
        Assert.True(result.Succeeded);
        Assert.Equal(3, result.RefusedItems);
        Assert.Equal("sampled out", result.RefusalReason);
    }

    [Fact]
    public async Task One_failed_share_fails_the_request()
    {
        var (share, tracker) = Acknowledgement.Create();
        var child = share.AddShare();
        share.Deliver();
        child.Fail(5, new InvalidOperationException("export failed"));

        var result = await tracker.Completion;
        Assert.False(result.Succeeded);
        Assert.Equal(5, result.FailedItems);
        Assert.Equal("export failed", result.Error!.Message);
    }

    [Fact]
    public async Task A_merged_share_settles_every_request_it_holds()
    {
        var (a, ta) = Acknowledgement.Create();
        var (b, tb) = Acknowledgement.Create();
        var merged = Acknowledgement.Merge([a, b]);
        Assert.True(a.IsSettled);
        Assert.False(ta.Completion.IsCompleted);

        merged.Deliver();
        Assert.True((await ta.Completion).Succeeded);
        Assert.True((await tb.Completion).Succeeded);
    }

    [Fact]
    public async Task Settling_twice_counts_once_and_taking_a_share_after_settling_throws()
    {
        var (share, tracker) = Acknowledgement.Create();
        Assert.True(share.Deliver());
        Assert.False(share.Fail(1, new InvalidOperationException()));
        Assert.True((await tracker.Completion).Succeeded);
        Assert.Throws<InvalidOperationException>(() => share.AddShare());
    }

    [Fact]
    public async Task The_settled_callback_runs_once_with_the_size()
    {
        long released = 0;
        var (share, tracker) = Acknowledgement.Create(1234, (t, _) => Interlocked.Add(ref released, t.SizeBytes));
        var other = share.AddShare();
        share.Deliver();
        other.Deliver();
        await tracker.Completion;
        Assert.Equal(1234, released);
    }
}
