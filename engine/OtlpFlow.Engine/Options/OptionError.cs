namespace OtlpFlow.Engine.Options;

/// <summary>One problem with an operator's options.</summary>
/// <param name="Key">The option's path relative to the operator, such as <c>rate</c> or <c>retry.initial</c>.</param>
/// <param name="Message">What is wrong, phrased to follow the quoted key.</param>
public sealed record OptionError(string Key, string Message);
