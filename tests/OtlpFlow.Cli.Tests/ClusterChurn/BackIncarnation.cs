namespace OtlpFlow.Cli.Tests.ClusterChurn;

/// <summary>
/// One run of one back-tier process: a member id keeps its endpoint and output folder across
/// restarts, and each incarnation writes its own file. Times are seconds after the load started,
/// set by <see cref="ClusterObserver"/> (or by the runner for the process's own start and end).
/// </summary>
internal sealed class BackIncarnation(string memberId, int number, int port, string outputPath, double startedAt)
{
    public string MemberId { get; } = memberId;

    /// <summary>1 for the first start of the member id, 2 after a restart, ...</summary>
    public int Number { get; } = number;

    public int Port { get; } = port;

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public string OutputPath { get; } = outputPath;

    public string Label => $"{MemberId}#{Number}";

    /// <summary>Why it is in the report: "initial", "joined" or "restarted".</summary>
    public string Role { get; init; } = "initial";

    public OtlpflowProcess? Process { get; set; }

    public double StartedAt { get; } = startedAt;

    /// <summary>When its member key appeared in etcd with a lease not seen before.</summary>
    public double? RegisteredAt { get; set; }

    public long Lease { get; set; }

    /// <summary>When its member key went from etcd.</summary>
    public double? DeregisteredAt { get; set; }

    /// <summary>When its gRPC port first accepted a connection.</summary>
    public double? ListeningAt { get; set; }

    /// <summary>When its output file first held a record.</summary>
    public double? FirstWriteAt { get; set; }

    /// <summary>When it was sent SIGTERM or SIGKILL.</summary>
    public double? StoppedAt { get; set; }

    /// <summary>"SIGTERM" or "SIGKILL" when an event stopped it.</summary>
    public string? StoppedBy { get; set; }

    /// <summary>When its process was seen gone (or a zombie).</summary>
    public double? GoneAt { get; set; }

    public int? ExitCode { get; set; }
}
