using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using OtlpFlow.Engine.Options;

namespace OtlpFlow.Engine.Tests.Options;

public sealed class OptionsBinderTests
{
    public sealed class RuleOptions
    {
        [Range(0.0, 1.0)]
        public double Ratio { get; set; } = 1;
    }

    public sealed class RulesOptions
    {
        public List<RuleOptions> Rules { get; set; } = [];

        public ByteSize Limit { get; set; } = ByteSize.FromMiB(1);

        [Required]
        public string? Path { get; set; }
    }

    private static (object? Bound, List<OptionError> Errors) Bind(string json)
    {
        var errors = new List<OptionError>();
        var bound = OptionsBinder.Bind(typeof(RulesOptions), JsonNode.Parse(json)!.AsObject(), errors);
        return (bound, errors);
    }

    [Fact]
    public void Validates_every_element_of_a_list_of_options_and_names_its_index()
    {
        var (bound, errors) = Bind("""{ "path": "x", "rules": [ { "ratio": 0.5 }, { "ratio": 2 } ] }""");

        Assert.Null(bound);
        var error = Assert.Single(errors);
        Assert.Equal("rules[1].ratio", error.Key);
        Assert.Equal("must be between 0 and 1, got 2", error.Message);
    }

    [Fact]
    public void Reports_missing_required_keys_and_bad_sizes_together()
    {
        var (_, errors) = Bind("""{ "limit": "lots", "rules": [ { "ratoi": 1 } ] }""");

        Assert.Contains(errors, e => e.Key == "path" && e.Message == "is required");
        Assert.Contains(errors, e => e.Key == "limit" && e.Message.StartsWith("must be a size like", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Key == "rules[0].ratoi" && e.Message.Contains("did you mean 'ratio'", StringComparison.Ordinal));
    }

    [Fact]
    public void Binds_sizes_and_lists()
    {
        var (bound, errors) = Bind("""{ "path": "x", "limit": "64KiB", "rules": [ { "ratio": 0.25 } ] }""");

        Assert.Empty(errors);
        var options = Assert.IsType<RulesOptions>(bound);
        Assert.Equal(65536, options.Limit.Bytes);
        Assert.Equal(0.25, options.Rules[0].Ratio);
    }
}
