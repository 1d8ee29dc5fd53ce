using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OtlpFlow.Engine.Operators;
using OtlpFlow.Engine.Telemetry;

namespace OtlpFlow.Operators.Routing;

/// <summary>
/// <c>routing.content</c> whose rules are replaced while it runs: from a watched rules file, or by
/// <see cref="SetRules"/> (the coordination layer). Each batch is routed by one set of rules, read
/// once when its routing starts, so a swap never loses or doubles data in flight. A route whose
/// port keeps failing (learned from acknowledgements) is skipped: its items fall through to the
/// next matching route or the default.
/// </summary>
[Operator("routing.dynamic", Options = typeof(DynamicRoutingOptions),
    Description = "Content routing with rules reloaded at runtime from a watched file; skips unhealthy ports.",
    Example = """{ "rulesFile": "rules/routing.json", "ports": ["errors", "rest"] }""")]
public sealed partial class DynamicRouterOperator : ProcessorOperator
{
    private static readonly JsonSerializerOptions RulesJson = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private readonly DynamicRoutingOptions _options;
    private readonly string[] _ports;
    private readonly TargetSet _targets;
    private RuleSet? _rules;
    private ITimer? _timer;
    private byte[]? _fileHash;
    private int _version;
    private readonly Lock _reloading = new();

    /// <summary>Creates the router; the rules file is read when it starts.</summary>
    public DynamicRouterOperator(DynamicRoutingOptions options, OperatorContext context) : base(context)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ports = [.. options.Ports];
        _targets = new TargetSet(_ports, context.TimeProvider, options.Ejection, TimeSpan.FromSeconds(10));
    }

    /// <summary>The ports named in <c>ports</c>.</summary>
    public override IReadOnlyList<string> OutputPorts => _ports;

    /// <summary>How many times rules were loaded (1 after start); for tests and diagnostics.</summary>
    public int RulesVersion => Volatile.Read(ref _version);

    /// <summary>Reads the rules file (failing the start when it is missing or invalid) and starts watching it.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!TryReload(out var error))
        {
            throw new InvalidOperationException($"operator '{Context.Id}': cannot load the rules file '{_options.RulesFile}': {error}");
        }

        _timer = Context.TimeProvider.CreateTimer(_ => TryReload(out string? _), null, _options.ReloadInterval, _options.ReloadInterval);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Replaces the rules now. The routes and default must name ports of this router.
    /// </summary>
    /// <exception cref="ArgumentException">The rules are not valid here; the current rules stay.</exception>
    public void SetRules(ContentRoutingOptions rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var problems = new List<ValidationResult>();
        if (!Validator.TryValidateObject(rules, new ValidationContext(rules), problems, validateAllProperties: true))
        {
            throw new ArgumentException(string.Join("; ", problems.Select(p => $"'{string.Join(",", p.MemberNames)}' {p.ErrorMessage}")), nameof(rules));
        }

        Volatile.Write(ref _rules, new RuleSet(rules, _ports));
        Interlocked.Increment(ref _version);
    }

    /// <summary>Reads the rules file if it changed. False (with the reason) when it cannot be used; the current rules stay then.</summary>
    public bool TryReload(out string? error)
    {
        lock (_reloading)
        {
            return TryReloadLocked(out error);
        }
    }

    private bool TryReloadLocked(out string? error)
    {
        error = null;
        try
        {
            var bytes = File.ReadAllBytes(_options.RulesFile);
            var hash = SHA256.HashData(bytes);
            if (_fileHash is not null && hash.AsSpan().SequenceEqual(_fileHash))
            {
                return true;
            }

            var rules = JsonSerializer.Deserialize<ContentRoutingOptions>(bytes, RulesJson)
                ?? throw new JsonException("the file holds null");
            SetRules(rules);
            _fileHash = hash;
            LogReloaded(Context.Logger, Context.Id, _options.RulesFile, rules.Routes.Count);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or ArgumentException)
        {
            error = ex.Message;
            LogReloadFailed(Context.Logger, Context.Id, _options.RulesFile, ex.Message);
            return false;
        }
    }

    /// <inheritdoc />
    public override ValueTask ProcessAsync(TelemetryBatch batch, IOperatorOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var rules = Volatile.Read(ref _rules) ?? throw new InvalidOperationException($"operator '{Context.Id}' has no rules yet");
        var now = Context.TimeProvider.GetTimestamp();
        return RuleRouting.RouteAsync(
            batch,
            rules,
            _ports.Length,
            port => _targets.IsAvailable(port, now),
            (port, payload, _, ct) => _targets.EmitAsync(output, port, batch, payload, ct),
            output,
            cancellationToken);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "operator '{OperatorId}': loaded {Routes} routes from '{Path}'")]
    private static partial void LogReloaded(ILogger logger, string operatorId, string path, int routes);

    [LoggerMessage(Level = LogLevel.Error, Message = "operator '{OperatorId}': the rules file '{Path}' cannot be used, the current rules stay: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string operatorId, string path, string reason);
}
