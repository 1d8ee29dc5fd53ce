using System.Globalization;
using System.Text.RegularExpressions;
using Google.Protobuf;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Engine.Conditions;

/// <summary>Decides whether an item matches; the compiled form of a condition.</summary>
internal delegate bool ItemPredicate(in ItemView item);

/// <summary>
/// A recursive-descent parser that compiles as it parses: each rule returns a closure, so the
/// result is a tree of small delegates with every literal converted, every regular expression
/// constructed and every field resolved ahead of evaluation.
/// </summary>
/// <remarks>
/// Grammar (precedence: not &gt; and &gt; or):
/// <code>
/// condition  := or END
/// or         := and ("or" and)*
/// and        := unary ("and" unary)*
/// unary      := "not" unary | primary
/// primary    := "(" or ")" | "true" | "false" | "exists" field | field comparison
/// comparison := ("==" | "!=" | "&lt;" | "&lt;=" | "&gt;" | "&gt;=") literal
///             | ("=~" | "!~") string
///             | ["not"] "in" "[" literal ("," literal)* "]"
/// field      := NAME | ("resource" | "attributes") "[" string "]"
/// </code>
/// </remarks>
internal sealed class ConditionParser
{
    /// <summary>How long one regular expression match may run before it is abandoned.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    private static readonly string[] Keywords = ["and", "or", "not", "in", "exists", "true", "false"];

    private readonly string _text;
    private readonly List<ConditionToken> _tokens;
    private int _index;

    private ConditionParser(string text)
    {
        _text = text;
        _tokens = ConditionLexer.Tokenize(text);
    }

    private ConditionToken Current => _tokens[_index];

    /// <summary>Every field name a condition may use, for messages and documentation.</summary>
    public static IReadOnlyList<string> FieldNames { get; } =
        [.. ConditionField.Fixed.Keys, .. ConditionField.Keyed.Select(k => k + "[\"...\"]")];

    public static ItemPredicate Parse(string text)
    {
        var parser = new ConditionParser(text);
        if (parser.Current.Kind == ConditionTokenKind.End)
        {
            throw parser.Error(parser.Current, "expected a condition, got end of input");
        }

        var predicate = parser.ParseOr();
        if (parser.Current.Kind != ConditionTokenKind.End)
        {
            var token = parser.Current;
            throw parser.Error(token, token.Kind == ConditionTokenKind.RightParen
                ? "this ')' has no matching '('"
                : $"expected 'and', 'or' or the end of the condition, got {token.Describe()}");
        }

        return predicate;
    }

    private ConditionToken Advance() => _tokens[_index++];

    private ConditionParseException Error(ConditionToken at, string detail) => new(_text, at.Position, detail);

    private ConditionParseException Error(int position, string detail) => new(_text, position, detail);

    private ItemPredicate ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsKeyword("or"))
        {
            Advance();
            var a = left;
            var b = ParseAnd();
            left = (in ItemView i) => a(in i) || b(in i);
        }

        return left;
    }

    private ItemPredicate ParseAnd()
    {
        var left = ParseUnary();
        while (Current.IsKeyword("and"))
        {
            Advance();
            var a = left;
            var b = ParseUnary();
            left = (in ItemView i) => a(in i) && b(in i);
        }

        return left;
    }

    private ItemPredicate ParseUnary()
    {
        if (Current.IsKeyword("not"))
        {
            Advance();
            var operand = ParseUnary();
            return (in ItemView i) => !operand(in i);
        }

        return ParsePrimary();
    }

    private ItemPredicate ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case ConditionTokenKind.LeftParen:
            {
                Advance();
                if (Current.Kind == ConditionTokenKind.RightParen)
                {
                    throw Error(Current, "expected a condition inside '( )', got ')'");
                }

                var inner = ParseOr();
                if (Current.Kind != ConditionTokenKind.RightParen)
                {
                    throw Error(Current, $"expected ')' to close the '(' at column {token.Position + 1}, got {Current.Describe()}");
                }

                Advance();
                return inner;
            }

            case ConditionTokenKind.End:
                throw Error(token, $"expected a condition after {_tokens[_index - 1].Describe()}, got end of input");

            case ConditionTokenKind.Identifier when token.Text is "true" or "false":
            {
                Advance();
                var constant = token.Text == "true";
                return (in ItemView _) => constant;
            }

            case ConditionTokenKind.Identifier when token.Text == "exists":
            {
                Advance();
                var field = ParseField("after 'exists'");
                var read = field.Read;
                return (in ItemView i) => !read(in i).IsMissing;
            }

            case ConditionTokenKind.Identifier:
            {
                var field = ParseField(null);
                return ParseComparison(field);
            }

            default:
                throw Error(token, $"expected a field name such as 'name' or 'attributes[\"key\"]', got {token.Describe()}");
        }
    }

    private ConditionField ParseField(string? context)
    {
        var token = Current;
        if (token.Kind != ConditionTokenKind.Identifier || Keywords.Contains(token.Text))
        {
            throw Error(token, $"expected a field name{(context is null ? string.Empty : " " + context)}, got {token.Describe()}");
        }

        Advance();
        if (ConditionField.Fixed.TryGetValue(token.Text, out var field))
        {
            return field;
        }

        if (ConditionField.Keyed.Contains(token.Text))
        {
            if (Current.Kind != ConditionTokenKind.LeftBracket)
            {
                throw Error(Current, $"expected '[' after '{token.Text}', as in {token.Text}[\"key\"], got {Current.Describe()}");
            }

            Advance();
            var key = Current;
            if (key.Kind != ConditionTokenKind.String)
            {
                throw Error(key, $"expected a key in double quotes, as in {token.Text}[\"key\"], got {key.Describe()}");
            }

            Advance();
            if (Current.Kind != ConditionTokenKind.RightBracket)
            {
                throw Error(Current, $"expected ']' after the key, got {Current.Describe()}");
            }

            Advance();
            return token.Text switch
            {
                "resource" => ConditionField.ResourceAttribute(key.StringValue!),
                "scope" => ConditionField.ScopeAttribute(key.StringValue!),
                _ => ConditionField.ItemAttribute(key.StringValue!),
            };
        }

        if (IsEnumWord(token.Text))
        {
            throw Error(token, $"expected a field name, got '{token.Text}' (words like {token.Text} go after the operator, as in kind == SERVER)");
        }

        var candidates = ConditionField.Fixed.Keys.Concat(ConditionField.Keyed);
        var suggestion = NameSuggester.Nearest(token.Text, candidates);
        var hint = suggestion is null
            ? "known fields: " + string.Join(", ", FieldNames)
            : ConditionField.Keyed.Contains(suggestion) ? $"did you mean '{suggestion}[\"...\"]'?" : $"did you mean '{suggestion}'?";
        throw Error(token, $"unknown field '{token.Text}'; {hint}");
    }

    private ItemPredicate ParseComparison(ConditionField field)
    {
        var op = Current;
        var read = field.Read;
        switch (op.Kind)
        {
            case ConditionTokenKind.Equal:
            case ConditionTokenKind.NotEqual:
            {
                Advance();
                var value = ParseLiteral(field, op);
                return op.Kind == ConditionTokenKind.Equal
                    ? (in ItemView i) => ConditionValue.AreEqual(read(in i), value)
                    : (in ItemView i) => !ConditionValue.AreEqual(read(in i), value);
            }

            case ConditionTokenKind.Less:
            case ConditionTokenKind.LessOrEqual:
            case ConditionTokenKind.Greater:
            case ConditionTokenKind.GreaterOrEqual:
            {
                Advance();
                var value = ParseLiteral(field, op);
                return op.Kind switch
                {
                    ConditionTokenKind.Less => (in ItemView i) => ConditionValue.TryCompare(read(in i), value, out var c) && c < 0,
                    ConditionTokenKind.LessOrEqual => (in ItemView i) => ConditionValue.TryCompare(read(in i), value, out var c) && c <= 0,
                    ConditionTokenKind.Greater => (in ItemView i) => ConditionValue.TryCompare(read(in i), value, out var c) && c > 0,
                    _ => (in ItemView i) => ConditionValue.TryCompare(read(in i), value, out var c) && c >= 0,
                };
            }

            case ConditionTokenKind.Match:
            case ConditionTokenKind.NotMatch:
            {
                Advance();
                var regex = ParseRegex(field, op);
                return op.Kind == ConditionTokenKind.Match
                    ? (in ItemView i) => IsMatch(regex, read(in i))
                    : (in ItemView i) => !IsMatch(regex, read(in i));
            }

            case ConditionTokenKind.Identifier when op.Text == "in":
            {
                Advance();
                var values = ParseList(field, op);
                return (in ItemView i) => IsIn(read(in i), values);
            }

            case ConditionTokenKind.Identifier when op.Text == "not" && _tokens[_index + 1].IsKeyword("in"):
            {
                Advance();
                var inToken = Advance();
                var values = ParseList(field, inToken);
                return (in ItemView i) => !IsIn(read(in i), values);
            }

            default:
                throw Error(op, $"expected an operator after '{field.Name}' (==, !=, <, <=, >, >=, =~, !~, in, not in), got {op.Describe()}");
        }
    }

    private ConditionValue[] ParseList(ConditionField field, ConditionToken inToken)
    {
        if (Current.Kind != ConditionTokenKind.LeftBracket)
        {
            throw Error(Current, $"expected '[' after 'in', as in {field.Name} in [a, b], got {Current.Describe()}");
        }

        var open = Advance();
        var values = new List<ConditionValue>();
        if (Current.Kind == ConditionTokenKind.RightBracket)
        {
            throw Error(Current, "expected at least one value in the list, got ']'");
        }

        while (true)
        {
            values.Add(ParseLiteral(field, inToken));
            if (Current.Kind == ConditionTokenKind.Comma)
            {
                Advance();
                continue;
            }

            if (Current.Kind == ConditionTokenKind.RightBracket)
            {
                Advance();
                return [.. values];
            }

            throw Error(Current, $"expected ',' or ']' in the list opened at column {open.Position + 1}, got {Current.Describe()}");
        }
    }

    private Regex ParseRegex(ConditionField field, ConditionToken op)
    {
        var token = Current;
        if (token.Kind != ConditionTokenKind.String)
        {
            throw Error(token, $"expected a regular expression in double quotes after '{op.Text}', got {token.Describe()}");
        }

        if (field.Type is not (ConditionFieldType.String or ConditionFieldType.Any or ConditionFieldType.Hex))
        {
            throw Error(op, $"'{op.Text}' matches text, and '{field.Name}' is {Describe(field)}; compare it with ==, <, > or in");
        }

        Advance();
        try
        {
            // Interpreted rather than RegexOptions.Compiled: compiling emits IL per pattern, and
            // conditions are parsed often at validation time; the interpreter is fast enough here.
            return new Regex(token.StringValue!, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException ex)
        {
            throw Error(token, $"not a valid regular expression: {ex.Message}");
        }
    }

    private ConditionValue ParseLiteral(ConditionField field, ConditionToken op)
    {
        var token = Current;
        if (token.Kind is ConditionTokenKind.End or ConditionTokenKind.RightParen or ConditionTokenKind.RightBracket or ConditionTokenKind.Comma
            || (token.Kind == ConditionTokenKind.Identifier && token.Text is "and" or "or"))
        {
            throw Error(token, $"expected a value after '{op.Text}', got {token.Describe()}");
        }

        if (token.IsKeyword("null"))
        {
            throw Error(token, $"there is no null; write 'exists {field.Name}' or 'not exists {field.Name}' to test whether a field has a value");
        }

        Advance();
        if (field.Words is { } words)
        {
            return EnumLiteral(field, words, token);
        }

        return field.Type switch
        {
            ConditionFieldType.Duration => token.Kind == ConditionTokenKind.Duration
                ? ConditionValue.FromInt(token.IntegerValue)
                : throw Error(token, $"'duration' is compared with a duration like 500ms, 2s or 1m, got {token.Describe()}"),
            ConditionFieldType.Number => token.Kind switch
            {
                ConditionTokenKind.Integer => ConditionValue.FromInt(token.IntegerValue),
                ConditionTokenKind.Decimal => ConditionValue.FromDouble(token.DecimalValue),
                _ => throw Error(token, $"'{field.Name}' is a number; compare it with a number, got {token.Describe()}"),
            },
            ConditionFieldType.Hex => HexLiteral(field, token),
            ConditionFieldType.String => StringLiteral(field, token),
            _ => AnyLiteral(field, token),
        };
    }

    private ConditionValue EnumLiteral(ConditionField field, IReadOnlyDictionary<string, long> words, ConditionToken token)
    {
        if (token.Kind == ConditionTokenKind.Integer)
        {
            return ConditionValue.FromInt(token.IntegerValue);
        }

        if (token.Kind == ConditionTokenKind.Identifier && words.TryGetValue(token.Text, out var number))
        {
            return ConditionValue.FromInt(number);
        }

        var known = string.Join(", ", words.Keys);
        var suggestion = token.Kind is ConditionTokenKind.Identifier or ConditionTokenKind.String
            ? NameSuggester.Nearest(token.StringValue ?? token.Text, words.Keys)
            : null;
        var hint = suggestion is null ? string.Empty : $"; did you mean {suggestion}?";
        throw Error(token, $"'{field.Name}' is compared with one of {known} (without quotes), got {token.Describe()}{hint}");
    }

    private ConditionValue HexLiteral(ConditionField field, ConditionToken token)
    {
        var hex = token.StringValue;
        if (token.Kind != ConditionTokenKind.String || hex!.Length == 0 || hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
        {
            throw Error(token, $"'{field.Name}' is compared with a hex string in quotes like \"{(field.Name == "traceId" ? "4bf92f3577b34da6a3ce929d0e0e4736" : "00f067aa0ba902b7")}\", got {token.Describe()}");
        }

        return ConditionValue.FromBytes(ByteString.CopyFrom(Convert.FromHexString(hex)));
    }

    private ConditionValue StringLiteral(ConditionField field, ConditionToken token)
    {
        if (token.Kind != ConditionTokenKind.String)
        {
            var hint = token.Kind == ConditionTokenKind.Identifier ? $"; write \"{token.Text}\" in double quotes" : string.Empty;
            throw Error(token, $"'{field.Name}' is text; compare it with a string in double quotes, got {token.Describe()}{hint}");
        }

        var value = token.StringValue!;
        if (field.AllowedStrings is { } allowed && !allowed.Contains(value, StringComparer.Ordinal))
        {
            var suggestion = NameSuggester.Nearest(value, allowed);
            throw Error(token, $"'{field.Name}' is one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}, got {token.Describe()}"
                + (suggestion is null ? string.Empty : $"; did you mean \"{suggestion}\"?"));
        }

        return ConditionValue.FromString(value);
    }

    private ConditionValue AnyLiteral(ConditionField field, ConditionToken token) => token.Kind switch
    {
        ConditionTokenKind.String => ConditionValue.FromString(token.StringValue!),
        ConditionTokenKind.Integer => ConditionValue.FromInt(token.IntegerValue),
        ConditionTokenKind.Decimal => ConditionValue.FromDouble(token.DecimalValue),
        ConditionTokenKind.Identifier when token.Text is "true" or "false" => ConditionValue.FromBool(token.Text == "true"),
        ConditionTokenKind.Duration => throw Error(token, $"a duration is compared only with 'duration', not with '{field.Name}'"),
        ConditionTokenKind.Identifier when IsEnumWord(token.Text) =>
            throw Error(token, $"'{token.Text}' is compared only with kind, status.code or severity; write \"{token.Text}\" in double quotes to compare '{field.Name}' with text"),
        ConditionTokenKind.Identifier =>
            throw Error(token, $"expected a value (a string in double quotes, a number, true or false), got {token.Describe()}; write \"{token.Text}\" in double quotes for text"),
        _ => throw Error(token, $"expected a value (a string in double quotes, a number, true or false), got {token.Describe()}"),
    };

    private static bool IsEnumWord(string word) =>
        ConditionField.SpanKindWords.ContainsKey(word) || ConditionField.StatusCodeWords.ContainsKey(word) || ConditionField.SeverityWords.ContainsKey(word);

    private static string Describe(ConditionField field) => field.Type switch
    {
        ConditionFieldType.Number => "a number",
        ConditionFieldType.Duration => "a duration",
        ConditionFieldType.SpanKind => "a span kind",
        ConditionFieldType.StatusCode => "a status code",
        ConditionFieldType.Severity => "a severity",
        _ => "a value",
    };

    private static bool IsIn(in ConditionValue value, ConditionValue[] values)
    {
        if (value.IsMissing)
        {
            return false;
        }

        for (var n = 0; n < values.Length; n++)
        {
            if (ConditionValue.AreEqual(value, values[n]))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsMatch(Regex regex, in ConditionValue value)
    {
        // Strings are matched as they are; other scalars by their invariant text (which allocates,
        // but regular expressions on numbers or ids are rare).
        var text = value.Kind == ConditionValueKind.String ? value.String : value.ToMatchText();
        return text is not null && regex.IsMatch(text);
    }
}
