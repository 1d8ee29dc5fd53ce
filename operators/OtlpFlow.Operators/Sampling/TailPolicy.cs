using System.Text.RegularExpressions;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// A tail-sampling policy built from its options: evaluates a whole held trace over its summary
/// (<see cref="HeldTrace"/>), never over span objects. Stateful policies
/// (rate and byte limits, composite budgets) read the clock passed in and are used under the
/// sampler's lock, so they need no synchronization of their own.
/// </summary>
internal abstract class TailPolicy(string name)
{
    public string Name { get; } = name;

    public abstract TailVerdict Evaluate(HeldTrace trace, DateTimeOffset now);

    /// <summary>Builds a policy; <paramref name="values"/> resolves the attribute keys it reads (found in the whole policy tree beforehand).</summary>
    public static TailPolicy Create(TailPolicyOptions options, string defaultName, TraceValueExtractor values)
    {
        ArgumentNullException.ThrowIfNull(options);
        var name = string.IsNullOrEmpty(options.Name) ? defaultName : options.Name;
        List<TailPolicy> Subs() => options.Policies.Select((p, i) => Create(p, $"{name}.{Camel(p.Type)}-{i}", values)).ToList();
        return options.Type switch
        {
            TailPolicyType.Always => new Predicate(name, static _ => true),
            TailPolicyType.Latency => Latency(name, options),
            TailPolicyType.NumericAttribute => Attribute(name, options, values, v => v.Kind switch
            {
                TraceValueKind.Int => v.Int >= options.MinValue && v.Int <= options.MaxValue,
                TraceValueKind.Double => v.Double >= options.MinValue && v.Double <= options.MaxValue,
                _ => false,
            }),
            TailPolicyType.StringAttribute => StringAttribute(name, options, values),
            TailPolicyType.BooleanAttribute => Attribute(name, options, values, v => v.Kind == TraceValueKind.Bool && v.Bool == options.Value),
            TailPolicyType.StatusCode => StatusCodes(name, options),
            TailPolicyType.Probabilistic => Probabilistic(name, options),
            TailPolicyType.RateLimiting => new RateLimit(name, options.SpansPerSecond),
            TailPolicyType.BytesLimiting => new ByteLimit(name, options.BytesPerSecond, options.BurstBytes > 0 ? options.BurstBytes : options.BytesPerSecond),
            TailPolicyType.SpanCount => new Predicate(name, t => t.SpanCount >= options.MinSpans && (options.MaxSpans == 0 || t.SpanCount <= options.MaxSpans)),
            TailPolicyType.TraceState => TraceStateMatch(name, options),
            TailPolicyType.And => new All(name, Subs(), TailVerdict.Sampled),
            TailPolicyType.Drop => new All(name, Subs(), TailVerdict.Dropped),
            TailPolicyType.Not => new Invert(name, Subs()[0]),
            TailPolicyType.Composite => new Composite(name, options, Subs()),
            _ => throw new ArgumentException($"Unknown policy type '{options.Type}'.", nameof(options)),
        };
    }

    public static string Camel(TailPolicyType? type)
    {
        var text = type?.ToString() ?? "policy";
        return char.ToLowerInvariant(text[0]) + text[1..];
    }

    private static Predicate Latency(string name, TailPolicyOptions o)
    {
        var min = TimeSpan.FromMilliseconds(o.ThresholdMs);
        var max = o.UpperThresholdMs > 0 ? TimeSpan.FromMilliseconds(o.UpperThresholdMs) : TimeSpan.MaxValue;
        return new Predicate(name, t => t.Duration >= min && t.Duration <= max);
    }

    private static Predicate StringAttribute(string name, TailPolicyOptions o, TraceValueExtractor values)
    {
        if (o.Regex)
        {
            var patterns = o.Values.Select(v => new Regex(v, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100))).ToArray();
            return Attribute(name, o, values, v => v.Kind == TraceValueKind.String && patterns.Any(p => p.IsMatch(v.String!)));
        }

        var set = new HashSet<string>(o.Values, StringComparer.Ordinal);
        return Attribute(name, o, values, v => v.Kind == TraceValueKind.String && set.Contains(v.String!));
    }

    /// <summary>
    /// True when any span, or the resource of any span, has attribute <c>key</c> whose value passes
    /// <paramref name="test"/> (negated by <c>invert</c>): the trace keeps every distinct value of
    /// the key found on its spans and their resources.
    /// </summary>
    private static Predicate Attribute(string name, TailPolicyOptions o, TraceValueExtractor values, Func<TraceValue, bool> test)
    {
        var key = values.KeyIndex(o.Key!);
        var invert = o.Invert;
        return new Predicate(name, t =>
        {
            foreach (var value in t.Values)
            {
                if (value.Key == key && test(value))
                {
                    return !invert;
                }
            }

            return invert;
        });
    }

    private static Predicate StatusCodes(string name, TailPolicyOptions o)
    {
        var mask = 0u;
        foreach (var code in o.Codes)
        {
            mask |= 1u << (int)(code switch
            {
                "ERROR" => Status.Types.StatusCode.Error,
                "OK" => Status.Types.StatusCode.Ok,
                _ => Status.Types.StatusCode.Unset,
            });
        }

        return new Predicate(name, t => (t.StatusCodes & mask) != 0);
    }

    private static Predicate Probabilistic(string name, TailPolicyOptions o)
    {
        var threshold = ConsistentProbability.ThresholdFromProbability(o.Ratio);
        return new Predicate(name, t => ConsistentProbability.Keeps(t.Key.Randomness, threshold));
    }

    private static Predicate TraceStateMatch(string name, TailPolicyOptions o)
    {
        var prefix = o.Key + "=";
        var values = new HashSet<string>(o.Values, StringComparer.Ordinal);
        return new Predicate(name, t =>
        {
            foreach (var value in t.Values)
            {
                if (value.Key != TraceValueExtractor.TraceStateKey)
                {
                    continue;
                }

                foreach (var member in value.String!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (member.StartsWith(prefix, StringComparison.Ordinal) && values.Contains(member[prefix.Length..]))
                    {
                        return true;
                    }
                }
            }

            return false;
        });
    }

    private sealed class Predicate(string name, Func<HeldTrace, bool> test) : TailPolicy(name)
    {
        public override TailVerdict Evaluate(HeldTrace trace, DateTimeOffset now) => test(trace) ? TailVerdict.Sampled : TailVerdict.NotSampled;
    }

    /// <summary><c>and</c> and <c>drop</c>: <paramref name="verdict"/> when every sub-policy samples.</summary>
    private sealed class All(string name, List<TailPolicy> policies, TailVerdict verdict) : TailPolicy(name)
    {
        public override TailVerdict Evaluate(HeldTrace trace, DateTimeOffset now)
        {
            foreach (var policy in policies)
            {
                if (policy.Evaluate(trace, now) != TailVerdict.Sampled)
                {
                    return TailVerdict.NotSampled;
                }
            }

            return verdict;
        }
    }

    private sealed class Invert(string name, TailPolicy policy) : TailPolicy(name)
    {
        public override TailVerdict Evaluate(HeldTrace trace, DateTimeOffset now) =>
            policy.Evaluate(trace, now) == TailVerdict.Sampled ? TailVerdict.NotSampled : TailVerdict.Sampled;
    }

    /// <summary>Spans kept per wall-clock second, like the Collector's rate_limiting policy.</summary>
    private sealed class RateLimit(string name, long spansPerSecond) : TailPolicy(name)
    {
        private long _second = long.MinValue;
        private long _spent;

        public override TailVerdict Evaluate(HeldTrace trace, DateTimeOffset now)
        {
            var second = now.ToUnixTimeSeconds();
            if (second != _second)
            {
                _second = second;
                _spent = 0;
            }

            if (_spent + trace.SpanCount > spansPerSecond)
            {
                return TailVerdict.NotSampled;
            }

            _spent += trace.SpanCount;
            return TailVerdict.Sampled;
        }
    }

    /// <summary>A token bucket of bytes, refilled continuously.</summary>
    private sealed class ByteLimit(string name, long bytesPerSecond, long burst) : TailPolicy(name)
    {
        private double _tokens = burst;
        private DateTimeOffset _last = DateTimeOffset.MinValue;

        public override TailVerdict Evaluate(HeldTrace trace, DateTimeOffset now)
        {
            if (_last != DateTimeOffset.MinValue && now > _last)
            {
                _tokens = Math.Min(burst, _tokens + ((now - _last).TotalSeconds * bytesPerSecond));
            }

            _last = now;
            if (_tokens < trace.Bytes)
            {
                return TailVerdict.NotSampled;
            }

            _tokens -= trace.Bytes;
            return TailVerdict.Sampled;
        }
    }

    /// <summary>Rate allocation across sub-policies, evaluated in order, each within its share of the total per second.</summary>
    private sealed class Composite : TailPolicy
    {
        private readonly List<TailPolicy> _policies;
        private readonly long[] _budgets;
        private readonly long[] _spent;
        private readonly long _total;
        private long _second = long.MinValue;
        private long _totalSpent;

        public Composite(string name, TailPolicyOptions options, List<TailPolicy> policies) : base(name)
        {
            _policies = policies;
            _total = options.MaxTotalSpansPerSecond;
            var explicitPercent = options.Policies.Sum(p => p.Percent ?? 0);
            var implicitCount = options.Policies.Count(p => p.Percent is null);
            var share = implicitCount == 0 ? 0 : Math.Max(0, 100 - explicitPercent) / implicitCount;
            _budgets = options.Policies.Select(p => (long)Math.Floor(_total * (p.Percent ?? share) / 100)).ToArray();
            _spent = new long[policies.Count];
        }

        public override TailVerdict Evaluate(HeldTrace trace, DateTimeOffset now)
        {
            var second = now.ToUnixTimeSeconds();
            if (second != _second)
            {
                _second = second;
                _totalSpent = 0;
                Array.Clear(_spent);
            }

            var spans = trace.SpanCount;
            for (var i = 0; i < _policies.Count; i++)
            {
                if (_policies[i].Evaluate(trace, now) != TailVerdict.Sampled)
                {
                    continue;
                }

                if (_spent[i] + spans <= _budgets[i] && _totalSpent + spans <= _total)
                {
                    _spent[i] += spans;
                    _totalSpent += spans;
                    return TailVerdict.Sampled;
                }
            }

            return TailVerdict.NotSampled;
        }
    }
}
