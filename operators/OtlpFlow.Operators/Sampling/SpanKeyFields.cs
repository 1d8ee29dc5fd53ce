using System.Text;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// Builds a grouping key for a span from a list of fields: <c>service</c>, <c>name</c>, <c>kind</c>,
/// <c>status.code</c>, <c>scope.name</c>, <c>attributes.KEY</c>, <c>resource.KEY</c>. Missing values
/// are empty; values are joined with a unit separator so that ("a|b", "c") and ("a", "b|c") differ.
/// </summary>
internal sealed class SpanKeyFields
{
    private const char Separator = '\u001f';
    private readonly Func<Resource?, InstrumentationScope?, Span, string>[] _fields;

    public SpanKeyFields(IReadOnlyList<string> fields)
    {
        _fields = fields.Select(Compile).ToArray();
    }

    public static bool IsValid(string field) =>
        field is "service" or "name" or "kind" or "status.code" or "scope.name"
        || (field.StartsWith("attributes.", StringComparison.Ordinal) && field.Length > 11)
        || (field.StartsWith("resource.", StringComparison.Ordinal) && field.Length > 9);

    public string KeyOf(Resource? resource, InstrumentationScope? scope, Span span)
    {
        if (_fields.Length == 1)
        {
            return _fields[0](resource, scope, span);
        }

        var builder = new StringBuilder();
        for (var i = 0; i < _fields.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(Separator);
            }

            builder.Append(_fields[i](resource, scope, span));
        }

        return builder.ToString();
    }

    private static Func<Resource?, InstrumentationScope?, Span, string> Compile(string field) => field switch
    {
        "service" => static (r, _, _) => Find(r?.Attributes, "service.name"),
        "name" => static (_, _, s) => s.Name,
        "kind" => static (_, _, s) => s.Kind.ToString(),
        "status.code" => static (_, _, s) => (s.Status?.Code ?? Status.Types.StatusCode.Unset).ToString(),
        "scope.name" => static (_, scope, _) => scope?.Name ?? string.Empty,
        _ when field.StartsWith("attributes.", StringComparison.Ordinal) => (_, _, s) => Find(s.Attributes, field[11..]),
        _ when field.StartsWith("resource.", StringComparison.Ordinal) => (r, _, _) => Find(r?.Attributes, field[9..]),
        _ => throw new ArgumentException($"Unknown key field '{field}'.", nameof(field)),
    };

    private static string Find(Google.Protobuf.Collections.RepeatedField<KeyValue>? attributes, string key)
    {
        if (attributes is null)
        {
            return string.Empty;
        }

        for (var i = 0; i < attributes.Count; i++)
        {
            if (attributes[i].Key == key)
            {
                var value = attributes[i].Value;
                return value?.ValueCase switch
                {
                    AnyValue.ValueOneofCase.StringValue => value.StringValue,
                    AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
                    AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => string.Empty,
                };
            }
        }

        return string.Empty;
    }
}
