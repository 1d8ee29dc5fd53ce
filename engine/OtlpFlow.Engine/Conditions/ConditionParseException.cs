using System.Text;

namespace OtlpFlow.Engine.Conditions;

/// <summary>
/// A condition's text is not valid. <see cref="Exception.Message"/> reads
/// <c>at column 17: expected a value after '==', got end of input</c> (one line, so that it can be
/// embedded in an option error); <see cref="ToString"/> adds the condition with a caret under the
/// offending character.
/// </summary>
public sealed class ConditionParseException : FormatException
{
    /// <summary>Creates the exception for a problem at <paramref name="position"/> of <paramref name="text"/>.</summary>
    /// <param name="text">The whole condition.</param>
    /// <param name="position">The 0-based character offset of the problem.</param>
    /// <param name="detail">What is wrong, without the position (<c>expected ')', got end of input</c>).</param>
    public ConditionParseException(string text, int position, string detail)
        : base(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"at column {position + 1}: {detail}"))
    {
        ArgumentNullException.ThrowIfNull(text);
        ConditionText = text;
        Position = position;
        Detail = detail;
    }

    /// <summary>Creates the exception.</summary>
    public ConditionParseException(string message) : this(message, innerException: null) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ConditionParseException(string message, Exception? innerException) : base(message, innerException)
    {
        ConditionText = string.Empty;
        Detail = message;
    }

    /// <summary>Creates the exception.</summary>
    public ConditionParseException() : this("The condition is not valid.") { }

    /// <summary>The condition that failed to parse.</summary>
    public string ConditionText { get; }

    /// <summary>The 0-based character offset of the problem in <see cref="ConditionText"/>; the column is one more.</summary>
    public int Position { get; }

    /// <summary>What is wrong, without the position.</summary>
    public string Detail { get; }

    /// <summary>The condition with a caret line under the offending character.</summary>
    public string Excerpt
    {
        get
        {
            if (ConditionText.Length == 0)
            {
                return string.Empty;
            }

            // Tabs and newlines would misalign the caret: show them as spaces.
            var line = ConditionText.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');
            return line + Environment.NewLine + new string(' ', Math.Min(Position, line.Length)) + "^";
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(GetType().FullName).Append(": ").Append(Message);
        if (ConditionText.Length > 0)
        {
            text.AppendLine().Append(Excerpt);
        }

        if (StackTrace is { } stack)
        {
            text.AppendLine().Append(stack);
        }

        return text.ToString();
    }
}
