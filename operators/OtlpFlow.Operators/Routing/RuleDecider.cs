using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// Decides items by rules. With match-once, the decision is the port of the first matching route
/// (skipping ports that <c>usable</c> refuses), else the default port, else <see cref="Unmatched"/>.
/// Otherwise it is a bit mask of every matching route's port (0 for none).
/// </summary>
internal sealed class RuleDecider(RuleSet rules, Func<int, bool>? usable, int unmatched) : ItemDecider
{
    public int Unmatched { get; } = unmatched;

    public override int Decide(Resource? resource, InstrumentationScope? scope, Span span)
    {
        var conditions = rules.Conditions;
        if (rules.MatchOnce)
        {
            for (var r = 0; r < conditions.Length; r++)
            {
                if (conditions[r].Matches(resource, scope, span) && Usable(r))
                {
                    return rules.RoutePorts[r];
                }
            }

            return Fallback();
        }

        var mask = 0;
        for (var r = 0; r < conditions.Length; r++)
        {
            if (conditions[r].Matches(resource, scope, span))
            {
                mask |= 1 << rules.RoutePorts[r];
            }
        }

        return mask;
    }

    public override int Decide(Resource? resource, InstrumentationScope? scope, LogRecord log)
    {
        var conditions = rules.Conditions;
        if (rules.MatchOnce)
        {
            for (var r = 0; r < conditions.Length; r++)
            {
                if (conditions[r].Matches(resource, scope, log) && Usable(r))
                {
                    return rules.RoutePorts[r];
                }
            }

            return Fallback();
        }

        var mask = 0;
        for (var r = 0; r < conditions.Length; r++)
        {
            if (conditions[r].Matches(resource, scope, log))
            {
                mask |= 1 << rules.RoutePorts[r];
            }
        }

        return mask;
    }

    public override int Decide(Resource? resource, InstrumentationScope? scope, Metric metric, DataPointView point)
    {
        var conditions = rules.Conditions;
        if (rules.MatchOnce)
        {
            for (var r = 0; r < conditions.Length; r++)
            {
                if (conditions[r].Matches(resource, scope, metric, point) && Usable(r))
                {
                    return rules.RoutePorts[r];
                }
            }

            return Fallback();
        }

        var mask = 0;
        for (var r = 0; r < conditions.Length; r++)
        {
            if (conditions[r].Matches(resource, scope, metric, point))
            {
                mask |= 1 << rules.RoutePorts[r];
            }
        }

        return mask;
    }

    private bool Usable(int route) => usable is null || usable(rules.RoutePorts[route]);

    private int Fallback() => rules.DefaultPort >= 0 ? rules.DefaultPort : Unmatched;
}
