using System.Globalization;
using System.Text;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Engine.Conditions;

/// <summary>Splits a condition into tokens, all at once (conditions are short and parsed once).</summary>
internal static class ConditionLexer
{
    public static List<ConditionToken> Tokenize(string text)
    {
        var tokens = new List<ConditionToken>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                tokens.Add(new ConditionToken(ConditionTokenKind.End, text.Length, string.Empty));
                return tokens;
            }

            var start = i;
            var c = text[i];
            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '.'))
                {
                    i++;
                }

                tokens.Add(new ConditionToken(ConditionTokenKind.Identifier, start, text[start..i]));
                continue;
            }

            if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                tokens.Add(ReadNumber(text, ref i));
                continue;
            }

            if (c == '"')
            {
                tokens.Add(ReadString(text, ref i));
                continue;
            }

            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            (ConditionTokenKind kind, int length) = (c, next) switch
            {
                ('(', _) => (ConditionTokenKind.LeftParen, 1),
                (')', _) => (ConditionTokenKind.RightParen, 1),
                ('[', _) => (ConditionTokenKind.LeftBracket, 1),
                (']', _) => (ConditionTokenKind.RightBracket, 1),
                (',', _) => (ConditionTokenKind.Comma, 1),
                ('=', '=') => (ConditionTokenKind.Equal, 2),
                ('=', '~') => (ConditionTokenKind.Match, 2),
                ('!', '=') => (ConditionTokenKind.NotEqual, 2),
                ('!', '~') => (ConditionTokenKind.NotMatch, 2),
                ('<', '=') => (ConditionTokenKind.LessOrEqual, 2),
                ('<', _) => (ConditionTokenKind.Less, 1),
                ('>', '=') => (ConditionTokenKind.GreaterOrEqual, 2),
                ('>', _) => (ConditionTokenKind.Greater, 1),
                _ => (ConditionTokenKind.End, 0),
            };
            if (length == 0)
            {
                throw new ConditionParseException(text, start, (c, next) switch
                {
                    ('=', _) => "'=' is not an operator; use '==' to compare",
                    ('&', '&') => "'&&' is not an operator; use 'and'",
                    ('|', '|') => "'||' is not an operator; use 'or'",
                    ('!', _) => "'!' is not an operator; use 'not', '!=' or '!~'",
                    ('\'', _) => "strings are written in double quotes (\"...\"), not single quotes",
                    _ => $"unexpected character '{c}'",
                });
            }

            i += length;
            tokens.Add(new ConditionToken(kind, start, text.Substring(start, length)));
        }
    }

    private static ConditionToken ReadNumber(string text, ref int i)
    {
        var start = i;
        if (text[i] == '-')
        {
            i++;
        }

        while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
        {
            i++;
        }

        // A number followed by letters is a duration ("500ms", "1m30s").
        if (i < text.Length && char.IsAsciiLetter(text[i]))
        {
            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            var durationText = text[start..i];
            if (text[start] == '-' || !Duration.TryParse(durationText, out var duration))
            {
                throw new ConditionParseException(text, start, $"'{durationText}' is not a duration; write durations like 500ms, 2s or 1m");
            }

            // Durations are kept in nanoseconds, the unit of OTLP timestamps.
            return new ConditionToken(ConditionTokenKind.Duration, start, durationText, IntegerValue: duration.Ticks * 100);
        }

        var numberText = text[start..i];
        if (!numberText.Contains('.', StringComparison.Ordinal))
        {
            if (!long.TryParse(numberText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            {
                throw new ConditionParseException(text, start, $"'{numberText}' is too large for an integer");
            }

            return new ConditionToken(ConditionTokenKind.Integer, start, numberText, IntegerValue: integer);
        }

        if (numberText.EndsWith('.') || !double.TryParse(numberText, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            throw new ConditionParseException(text, start, $"'{numberText}' is not a number");
        }

        return new ConditionToken(ConditionTokenKind.Decimal, start, numberText, DecimalValue: number);
    }

    private static ConditionToken ReadString(string text, ref int i)
    {
        var start = i;
        i++; // opening quote
        var value = new StringBuilder();
        while (true)
        {
            if (i >= text.Length)
            {
                throw new ConditionParseException(text, start, "this string has no closing '\"'");
            }

            var c = text[i];
            if (c == '"')
            {
                i++;
                return new ConditionToken(ConditionTokenKind.String, start, text[start..i], StringValue: value.ToString());
            }

            if (c == '\\')
            {
                if (i + 1 >= text.Length)
                {
                    throw new ConditionParseException(text, start, "this string has no closing '\"'");
                }

                var escaped = text[i + 1];

                // Only \" and \\ are escapes; any other backslash stays as written, so that
                // regular expressions such as "\d+" read the same as in .NET.
                if (escaped is not ('"' or '\\'))
                {
                    value.Append(c);
                }

                value.Append(escaped);
                i += 2;
                continue;
            }

            value.Append(c);
            i++;
        }
    }
}
