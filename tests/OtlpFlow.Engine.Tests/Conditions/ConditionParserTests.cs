using OpenTelemetry.Proto.Trace.V1;
using OtlpFlow.Engine.Conditions;
using static OtlpFlow.Engine.Tests.Conditions.ConditionTestData;

namespace OtlpFlow.Engine.Tests.Conditions;

public sealed class ConditionParserTests
{
    private static bool OnSpan(string condition, Span span) => Condition.Parse(condition).Matches(MakeResource(), MakeScope(), span);

    [Theory]
    // and binds tighter than or: true or (false and false); left to right would give false
    [InlineData("kind == SERVER or name == \"x\" and name == \"y\"", true)]
    // (false or true) and false
    [InlineData("(name == \"x\" or kind == SERVER) and name == \"y\"", false)]
    // not binds tighter than and: (not true) and false; not over the whole would give true
    [InlineData("not kind == SERVER and name == \"x\"", false)]
    // not applies to the parenthesised whole
    [InlineData("not (name == \"x\" or kind == SERVER)", false)]
    [InlineData("not not kind == SERVER", true)]
    [InlineData("true", true)]
    [InlineData("true or false and false", true)]
    public void Precedence_is_not_then_and_then_or(string condition, bool expected) =>
        Assert.Equal(expected, OnSpan(condition, MakeSpan()));

    [Theory]
    [InlineData("name == \"GET /orders\"", true)]
    [InlineData("name != \"GET /orders\"", false)]
    [InlineData("name < \"GET /p\"", true)]
    [InlineData("name <= \"GET /orders\"", true)]
    [InlineData("name > \"GET /orders\"", false)]
    [InlineData("name >= \"GET /orders\"", true)]
    [InlineData("name =~ \"^GET /\"", true)]
    [InlineData("name !~ \"^GET /\"", false)]
    [InlineData("name in [\"a\", \"GET /orders\"]", true)]
    [InlineData("name not in [\"a\", \"GET /orders\"]", false)]
    [InlineData("exists attributes[\"http.method\"]", true)]
    [InlineData("exists attributes[\"nope\"]", false)]
    public void Every_operator_evaluates(string condition, bool expected) =>
        Assert.Equal(expected, OnSpan(condition, MakeSpan(attributes: Attribute("http.method", "GET"))));

    [Theory]
    [InlineData("attributes[\"q\"] == \"say \\\"hi\\\" \\\\ bye\"", "say \"hi\" \\ bye", true)]
    [InlineData("attributes[\"q\"] == 42", 42L, true)]
    [InlineData("attributes[\"q\"] == 42.0", 42L, true)]
    [InlineData("attributes[\"q\"] == -3", -3L, true)]
    [InlineData("attributes[\"q\"] == 0.5", 0.5, true)]
    [InlineData("attributes[\"q\"] < 1", 0.5, true)]
    [InlineData("attributes[\"q\"] == true", true, true)]
    [InlineData("attributes[\"q\"] == false", true, false)]
    [InlineData("attributes[\"q\"] == \"42\"", 42L, false)]
    public void Literals_of_every_type_are_read(string condition, object attributeValue, bool expected) =>
        Assert.Equal(expected, OnSpan(condition, MakeSpan(attributes: Attribute("q", attributeValue))));

    [Theory]
    [InlineData("duration > 500ms", 600, true)]
    [InlineData("duration > 500ms", 400, false)]
    [InlineData("duration >= 2s", 2000, true)]
    [InlineData("duration < 1m", 59_000, true)]
    [InlineData("duration > 1m30s", 91_000, true)]
    [InlineData("duration == 250ms", 250, true)]
    public void Durations_compare_with_span_duration(string condition, int milliseconds, bool expected) =>
        Assert.Equal(expected, OnSpan(condition, MakeSpan(duration: TimeSpan.FromMilliseconds(milliseconds))));

    [Theory]
    [InlineData("kind == CLIENT", Span.Types.SpanKind.Client, true)]
    [InlineData("kind in [PRODUCER, CONSUMER]", Span.Types.SpanKind.Consumer, true)]
    [InlineData("kind == INTERNAL", Span.Types.SpanKind.Internal, true)]
    [InlineData("kind == UNSPECIFIED", Span.Types.SpanKind.Unspecified, true)]
    [InlineData("kind != SERVER", Span.Types.SpanKind.Server, false)]
    [InlineData("kind == 2", Span.Types.SpanKind.Server, true)]
    public void Span_kind_words_are_read(string condition, Span.Types.SpanKind kind, bool expected) =>
        Assert.Equal(expected, OnSpan(condition, MakeSpan(kind: kind)));

    [Fact]
    public void Error_word_means_the_status_code_or_the_severity_by_the_field_it_is_compared_with()
    {
        Assert.True(OnSpan("status.code == ERROR", MakeSpan(status: Status.Types.StatusCode.Error)));
        Assert.False(OnSpan("status.code == ERROR", MakeSpan(status: Status.Types.StatusCode.Ok)));
        var severity = Condition.Parse("severity == ERROR");
        Assert.True(severity.Matches(null, null, MakeLog(OpenTelemetry.Proto.Logs.V1.SeverityNumber.Error)));
        Assert.False(severity.Matches(null, null, MakeLog(OpenTelemetry.Proto.Logs.V1.SeverityNumber.Warn4)));
    }

    [Fact]
    public void Text_is_kept_as_written()
    {
        var condition = Condition.Parse("  kind == SERVER ");
        Assert.Equal("  kind == SERVER ", condition.Text);
        Assert.Equal(condition.Text, condition.ToString());
    }

    [Fact]
    public void Field_names_list_every_field()
    {
        Assert.Contains("status.code", Condition.FieldNames);
        Assert.Contains("attributes[\"...\"]", Condition.FieldNames);
        Assert.Contains("metric.type", Condition.FieldNames);
    }

    [Theory]
    [InlineData("name == ", 8, "expected a value after '==', got end of input")]
    [InlineData("kind == SERVER and", 18, "expected a condition after 'and', got end of input")]
    [InlineData("(kind == SERVER", 15, "expected ')' to close the '(' at column 1, got end of input")]
    [InlineData("kind == SERVER)", 14, "this ')' has no matching '('")]
    [InlineData("name = \"x\"", 5, "'=' is not an operator; use '==' to compare")]
    [InlineData("name == \"x\" && kind == SERVER", 12, "'&&' is not an operator; use 'and'")]
    [InlineData("name == 'x'", 8, "strings are written in double quotes")]
    [InlineData("name == \"x", 8, "this string has no closing '\"'")]
    [InlineData("name \"x\"", 5, "expected an operator after 'name'")]
    [InlineData("name == 5", 8, "'name' is text; compare it with a string in double quotes, got '5'")]
    [InlineData("kind == SERVR", 8, "did you mean SERVER?")]
    [InlineData("status.code == \"ERROR\"", 15, "'status.code' is compared with one of UNSET, OK, ERROR")]
    [InlineData("severity < INFOO", 11, "did you mean INFO?")]
    [InlineData("duration > 500", 11, "'duration' is compared with a duration like 500ms")]
    [InlineData("duration > 5xs", 11, "'5xs' is not a duration")]
    [InlineData("attributes[\"a\"] == 5ms", 19, "a duration is compared only with 'duration'")]
    [InlineData("attributes[\"a\"] == SERVER", 19, "'SERVER' is compared only with kind, status.code or severity")]
    [InlineData("attributes[\"a\"] == foo", 19, "write \"foo\" in double quotes for text")]
    [InlineData("attributes[a] == 1", 11, "expected a key in double quotes")]
    [InlineData("attributes == 1", 11, "expected '[' after 'attributes'")]
    [InlineData("name =~ \"(\"", 8, "not a valid regular expression")]
    [InlineData("kind =~ \"S\"", 5, "'=~' matches text, and 'kind' is a span kind")]
    [InlineData("name in \"a\"", 8, "expected '[' after 'in'")]
    [InlineData("name in []", 9, "expected at least one value in the list")]
    [InlineData("name in [\"a\" \"b\"]", 13, "expected ',' or ']' in the list opened at column 9")]
    [InlineData("traceId == \"xyz\"", 11, "'traceId' is compared with a hex string")]
    [InlineData("metric.type == \"histgram\"", 15, "did you mean \"histogram\"?")]
    [InlineData("value == \"5\"", 9, "'value' is a number")]
    [InlineData("", 0, "expected a condition, got end of input")]
    [InlineData("attributes[\"k\"] != null", 19, "there is no null; write 'exists attributes[\"k\"]'")]
    [InlineData("()", 1, "expected a condition inside '( )'")]
    [InlineData("exists == 1", 7, "expected a field name after 'exists', got '=='")]
    [InlineData("SERVER == kind", 0, "words like SERVER go after the operator")]
    [InlineData("name == \"a\" name == \"b\"", 12, "expected 'and', 'or' or the end of the condition, got 'name'")]
    [InlineData("name == \"a\" # b", 12, "unexpected character '#'")]
    public void Errors_say_where_and_what(string text, int position, string expected)
    {
        var error = Assert.Throws<ConditionParseException>(() => Condition.Parse(text));
        Assert.Equal(position, error.Position);
        Assert.StartsWith($"at column {position + 1}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(text, error.ConditionText);
    }

    [Theory]
    [InlineData("nmae == \"x\"", "did you mean 'name'?")]
    [InlineData("status.cod == OK", "did you mean 'status.code'?")]
    [InlineData("atributes[\"a\"] == 1", "did you mean 'attributes[\"...\"]'?")]
    [InlineData("severty < INFO", "did you mean 'severity'?")]
    [InlineData("traceid == \"ab\"", "did you mean 'traceId'?")]
    public void Unknown_fields_suggest_the_nearest_one(string text, string expected)
    {
        var error = Assert.Throws<ConditionParseException>(() => Condition.Parse(text));
        Assert.Equal(0, error.Position);
        Assert.Contains("unknown field", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_field_far_from_any_lists_the_known_fields()
    {
        var error = Assert.Throws<ConditionParseException>(() => Condition.Parse("zzzzzzzzzz == 1"));
        Assert.Contains("known fields: name, kind", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_shows_a_caret_under_the_problem()
    {
        var error = Assert.Throws<ConditionParseException>(() => Condition.Parse("kind == SERVR"));
        var lines = error.ToString().Split(Environment.NewLine);
        Assert.Equal("kind == SERVR", lines[1]);
        Assert.Equal("        ^", lines[2]);
        Assert.DoesNotContain('\n', error.Message);
    }
}
