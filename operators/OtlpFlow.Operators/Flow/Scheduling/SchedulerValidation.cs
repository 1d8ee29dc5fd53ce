using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Operators.Flow;

/// <summary>Validation shared by the schedulers' options.</summary>
internal static class SchedulerValidation
{
    public static IEnumerable<ValidationResult> Key(string? key, string member)
    {
        if (key is null)
        {
            yield break;
        }

        string? error = null;
        try
        {
            FlowKey.Parse(key);
        }
        catch (ArgumentException ex)
        {
            error = ex.Message.Split(" (Parameter", 2)[0];
        }

        if (error is not null)
        {
            yield return new ValidationResult(error, [member]);
        }
    }
}
