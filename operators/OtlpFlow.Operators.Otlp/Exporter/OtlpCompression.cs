namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>How an exporter compresses what it sends.</summary>
public enum OtlpCompression
{
    /// <summary>Not compressed.</summary>
    None,

    /// <summary>gzip, which every OTLP receiver supports.</summary>
    Gzip,

    /// <summary>Zstandard: smaller and faster, where the receiver supports it.</summary>
    Zstd,
}
