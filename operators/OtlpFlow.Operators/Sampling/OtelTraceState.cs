using System.Text;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Reads and rewrites the OpenTelemetry entry (<c>ot=th:…;rv:…</c>) of a W3C <c>tracestate</c>
/// string. Other vendors' entries and other <c>ot</c> sub-keys are kept as they are; a rewritten
/// <c>ot</c> entry moves to the front, as W3C Trace Context asks of a modified entry.
/// </summary>
internal static class OtelTraceState
{
    /// <summary>What the <c>ot</c> entry says about sampling.</summary>
    /// <param name="HasThreshold">A <c>th</c> sub-key is present (valid or not).</param>
    /// <param name="ThresholdValid">The <c>th</c> value parses.</param>
    /// <param name="Threshold">The parsed threshold.</param>
    /// <param name="HasRandomness">A valid <c>rv</c> sub-key is present.</param>
    /// <param name="Randomness">The parsed randomness.</param>
    /// <param name="ThresholdCanonical">The <c>th</c> value is valid and written as <see cref="ConsistentProbability.FormatThreshold"/> writes it (no trailing zeros).</param>
    public readonly record struct Values(bool HasThreshold, bool ThresholdValid, ulong Threshold, bool HasRandomness, ulong Randomness, bool ThresholdCanonical = false);

    /// <summary>Reads <c>th</c> and <c>rv</c>; an empty or foreign-only tracestate has neither.</summary>
    public static Values Read(string traceState)
    {
        if (traceState.Length == 0 || !TryFindOt(traceState, out var start, out var end))
        {
            return default;
        }

        bool hasTh = false, thValid = false, thCanonical = false, hasRv = false;
        ulong th = 0, rv = 0;
        var value = traceState.AsSpan(start, end - start);
        while (value.Length > 0)
        {
            var semicolon = value.IndexOf(';');
            var member = semicolon < 0 ? value : value[..semicolon];
            value = semicolon < 0 ? [] : value[(semicolon + 1)..];
            if (member.StartsWith("th:", StringComparison.Ordinal))
            {
                hasTh = true;
                thValid = ConsistentProbability.TryParseThreshold(member[3..], out th);
                thCanonical = thValid && (member.Length == 4 || member[^1] != '0');
            }
            else if (member.StartsWith("rv:", StringComparison.Ordinal))
            {
                hasRv = ConsistentProbability.TryParseRandomness(member[3..], out rv);
            }
        }

        return new Values(hasTh, thValid, th, hasRv, rv, thCanonical);
    }

    /// <summary>
    /// The tracestate with <c>th</c> set to <paramref name="threshold"/>, or removed when it is
    /// null. Returns the input itself when nothing changes.
    /// </summary>
    public static string WithThreshold(string traceState, ulong? threshold)
    {
        var newTh = threshold is { } t ? "th:" + ConsistentProbability.FormatThreshold(t) : null;
        var builder = new StringBuilder(traceState.Length + 16);
        string? others = null;
        var changed = false;
        if (traceState.Length > 0 && TryFindOt(traceState, out var start, out var end))
        {
            var entryStart = EntryStart(traceState, start);
            var entryEnd = EntryEnd(traceState, end);
            others = Join(traceState.AsSpan(0, entryStart), traceState.AsSpan(entryEnd));
            var wroteTh = false;
            var value = traceState.AsSpan(start, end - start);
            while (value.Length > 0)
            {
                var semicolon = value.IndexOf(';');
                var member = semicolon < 0 ? value : value[..semicolon];
                value = semicolon < 0 ? [] : value[(semicolon + 1)..];
                if (member.StartsWith("th:", StringComparison.Ordinal))
                {
                    if (newTh is null || wroteTh)
                    {
                        changed = true;
                        continue;
                    }

                    changed |= !member.SequenceEqual(newTh);
                    Append(builder, newTh);
                    wroteTh = true;
                }
                else if (member.Length > 0)
                {
                    Append(builder, member);
                }
            }

            if (newTh is not null && !wroteTh)
            {
                builder.Insert(0, builder.Length == 0 ? newTh : newTh + ";");
                changed = true;
            }
        }
        else
        {
            if (newTh is null)
            {
                return traceState;
            }

            others = traceState.Trim();
            builder.Append(newTh);
            changed = true;
        }

        if (!changed)
        {
            return traceState;
        }

        var ot = builder.Length == 0 ? string.Empty : "ot=" + builder;
        if (ot.Length == 0)
        {
            return others ?? string.Empty;
        }

        return string.IsNullOrEmpty(others) ? ot : ot + "," + others;
    }

    private static void Append(StringBuilder builder, ReadOnlySpan<char> member)
    {
        if (builder.Length > 0)
        {
            builder.Append(';');
        }

        builder.Append(member);
    }

    private static string Join(ReadOnlySpan<char> before, ReadOnlySpan<char> after)
    {
        var a = before.Trim().TrimEnd(',').Trim();
        var b = after.Trim().TrimStart(',').Trim();
        if (a.Length == 0)
        {
            return b.ToString();
        }

        return b.Length == 0 ? a.ToString() : string.Concat(a, ",", b);
    }

    /// <summary>Finds the value of the <c>ot</c> list member: [start, end) of the text after <c>ot=</c>.</summary>
    private static bool TryFindOt(string traceState, out int start, out int end)
    {
        var position = 0;
        while (position < traceState.Length)
        {
            var comma = traceState.IndexOf(',', position);
            var memberEnd = comma < 0 ? traceState.Length : comma;
            var member = traceState.AsSpan(position, memberEnd - position);
            var trimmed = member.TrimStart(" \t");
            if (trimmed.StartsWith("ot=", StringComparison.Ordinal))
            {
                start = position + (member.Length - trimmed.Length) + 3;
                end = start + traceState.AsSpan(start, memberEnd - start).TrimEnd(" \t").Length;
                return true;
            }

            position = memberEnd + 1;
        }

        start = end = 0;
        return false;
    }

    private static int EntryStart(string traceState, int valueStart)
    {
        var comma = traceState.LastIndexOf(',', valueStart - 1);
        return comma < 0 ? 0 : comma + 1;
    }

    private static int EntryEnd(string traceState, int valueEnd)
    {
        var comma = traceState.IndexOf(',', valueEnd);
        return comma < 0 ? traceState.Length : comma;
    }
}
