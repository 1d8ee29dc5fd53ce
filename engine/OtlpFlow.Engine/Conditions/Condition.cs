using System.Text.Json.Serialization;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Engine.Conditions;

/// <summary>
/// A condition on one telemetry item, written in OtlpFlow's condition language
/// (<c>status.code == ERROR and duration &gt; 500ms</c>, <c>severity &lt; INFO</c>,
/// <c>attributes["http.route"] =~ "^/api/"</c>). It is parsed once into a tree of delegates, so
/// <see cref="Matches(Resource?, InstrumentationScope?, Span)"/> and its siblings are cheap and do
/// not allocate (except a regular expression on a non-string value). The language is described in
/// <c>operators/OtlpFlow.Operators/Transform/README.md</c>.
/// </summary>
/// <remarks>
/// Instances are immutable and safe to use from several threads. As an options property, a
/// condition is read from a JSON string; a parse error is reported as an option error.
/// </remarks>
[JsonConverter(typeof(ConditionJsonConverter))]
public sealed class Condition
{
    private readonly ItemPredicate _predicate;

    private Condition(string text, ItemPredicate predicate)
    {
        Text = text;
        _predicate = predicate;
    }

    /// <summary>The condition as written.</summary>
    public string Text { get; }

    /// <summary>The names of every field a condition may use (keyed ones as <c>attributes["..."]</c>).</summary>
    public static IReadOnlyList<string> FieldNames => ConditionParser.FieldNames;

    /// <summary>Parses and compiles a condition.</summary>
    /// <exception cref="ConditionParseException">The text is not a valid condition; the exception says where and why.</exception>
    public static Condition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Condition(text, ConditionParser.Parse(text));
    }

    /// <summary>True when <paramref name="span"/>, with its resource and scope, matches.</summary>
    public bool Matches(Resource? resource, InstrumentationScope? scope, Span span)
    {
        ArgumentNullException.ThrowIfNull(span);
        return _predicate(new ItemView(resource, scope, span, null, null, default));
    }

    /// <summary>True when <paramref name="log"/>, with its resource and scope, matches.</summary>
    public bool Matches(Resource? resource, InstrumentationScope? scope, LogRecord log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return _predicate(new ItemView(resource, scope, null, log, null, default));
    }

    /// <summary>True when data point <paramref name="point"/> of <paramref name="metric"/>, with its resource and scope, matches.</summary>
    public bool Matches(Resource? resource, InstrumentationScope? scope, Metric metric, DataPointView point)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return _predicate(new ItemView(resource, scope, null, null, metric, point));
    }

    /// <summary>
    /// True when a resource (and optionally a scope) matches, with every item field missing: for
    /// decisions about a whole resource or scope rather than one item.
    /// </summary>
    public bool Matches(Resource? resource, InstrumentationScope? scope = null) =>
        _predicate(new ItemView(resource, scope, null, null, null, default));

    /// <inheritdoc />
    public override string ToString() => Text;
}
