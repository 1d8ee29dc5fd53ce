namespace OtlpFlow.Engine.Conditions;

/// <summary>The kinds of token of the condition language.</summary>
internal enum ConditionTokenKind
{
    End,
    Identifier,
    String,
    Integer,
    Decimal,
    Duration,
    LeftParen,
    RightParen,
    LeftBracket,
    RightBracket,
    Comma,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Match,
    NotMatch,
}

/// <summary>One token: its kind, where it is, its source text and its value for literals.</summary>
internal readonly record struct ConditionToken(
    ConditionTokenKind Kind,
    int Position,
    string Text,
    string? StringValue = null,
    long IntegerValue = 0,
    double DecimalValue = 0)
{
    /// <summary>How the token reads in an error message: <c>end of input</c>, <c>'name'</c>, <c>"GET"</c>.</summary>
    public string Describe() => Kind switch
    {
        ConditionTokenKind.End => "end of input",
        ConditionTokenKind.String => Text,
        _ => $"'{Text}'",
    };

    public bool IsKeyword(string keyword) => Kind == ConditionTokenKind.Identifier && Text == keyword;
}
