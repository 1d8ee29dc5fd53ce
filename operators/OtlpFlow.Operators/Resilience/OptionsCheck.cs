using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Resilience;

/// <summary>Checks an options object built in code the same way the pipeline loader checks one bound from JSON.</summary>
internal static class OptionsCheck
{
    public static T Valid<T>(T options, string paramName)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(options, paramName);
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            var problems = string.Join("; ", results.Select(r => $"'{string.Join("', '", r.MemberNames.Select(Camel))}' {r.ErrorMessage}"));
            throw new ArgumentException($"Invalid {typeof(T).Name}: {problems}", paramName);
        }

        return options;
    }

    private static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
