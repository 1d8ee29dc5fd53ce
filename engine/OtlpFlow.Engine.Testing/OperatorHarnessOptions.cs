using Microsoft.Extensions.Logging;

namespace OtlpFlow.Engine.Testing;

/// <summary>How an <see cref="OperatorHarness"/> runs the operator under test. Every property has a default that suits most tests.</summary>
public sealed class OperatorHarnessOptions
{
    /// <summary>The operator's id in the harness's pipeline, as it appears in errors and logs. Default: <c>"test"</c>.</summary>
    public string OperatorId { get; set; } = "test";

    /// <summary>
    /// The pipeline's clock. Default: a new <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>, which
    /// a test moves with <see cref="OperatorHarness.AdvanceTime"/>.
    /// </summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// The bounded capacity, in batches, of each harness output (the input of the sink on each port).
    /// With an output held, the operator can emit this many batches (plus one in hand) before it waits. Default: 64.
    /// </summary>
    public int OutputCapacity { get; set; } = 64;

    /// <summary>
    /// Whether the operator's <c>"dropped"</c> port is linked to a harness output. Default: true. A
    /// dropped batch is then recorded and its acknowledgement share settled as refused (reason
    /// <c>"dropped"</c>), as a pipeline that does not read the port would; with false the engine
    /// refuses it with the operator's own reason and nothing is recorded.
    /// </summary>
    public bool LinkDropped { get; set; } = true;

    /// <summary>Services the operator's constructor may ask for, besides its options and context. Default: none.</summary>
    public IServiceProvider? Services { get; set; }

    /// <summary>Where the pipeline and the operator log. Default: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// How long, in real time, <see cref="OperatorHarness.CompleteAsync"/> waits for sends to be taken
    /// and for the pipeline to drain before it gives up: a guard against a hung test, not a timing
    /// assertion. Default: 30 seconds.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
