namespace OtlpFlow.Operators.Flow;

/// <summary>
/// The file operations the durable queue uses, and nothing more: the seam through which tests
/// inject a full disk, a torn write, a failed flush or a crash between any two operations.
/// </summary>
internal interface IQueueFileSystem
{
    void CreateDirectory(string path);

    /// <summary>Paths of the files in <paramref name="directory"/> whose names match <paramref name="pattern"/>.</summary>
    string[] GetFiles(string directory, string pattern);

    bool Exists(string path);

    /// <summary>Opens a file for reading and writing at explicit offsets, creating it when <paramref name="create"/> is set.</summary>
    IQueueFile Open(string path, bool create);

    void Delete(string path);
}

/// <summary>One open file, read and written at explicit offsets (no buffering between calls).</summary>
internal interface IQueueFile : IDisposable
{
    long Length { get; }

    /// <summary>Reads up to <paramref name="buffer"/>'s length at <paramref name="offset"/>; returns the bytes read.</summary>
    int Read(Span<byte> buffer, long offset);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>; a failure may leave part of it written.</summary>
    void Write(ReadOnlySpan<byte> data, long offset);

    /// <summary>Flushes the file's data to the device.</summary>
    void Flush();

    void SetLength(long length);
}
