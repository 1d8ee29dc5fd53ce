using OtlpFlow.Operators.Flow;

namespace OtlpFlow.Operators.Tests.Flow;

/// <summary>
/// The real file system with faults on demand: a disk of <see cref="Capacity"/> bytes that fails
/// writes past it with ENOSPC after writing what fits, failing flushes and reads, and a crash at the
/// n-th changing operation (a write is torn to <see cref="TornBytes"/> first), after which every
/// operation fails as if the process were gone.
/// </summary>
internal sealed class FaultyQueueFileSystem(string directory) : IQueueFileSystem
{
    private const int NoSpaceLeftOnDevice = 28;

    /// <summary>Bytes all files in the folder may hold; null for no limit.</summary>
    public long? Capacity { get; set; }

    /// <summary>Crash at this changing operation (1-based); null for none.</summary>
    public int? CrashAt { get; set; }

    /// <summary>How a write that crashes is torn: bytes of it that reach the file (capped at its length).</summary>
    public int TornBytes { get; set; }

    public bool FailFlush { get; set; }

    /// <summary>Reads that fail with an I/O error before they work again.</summary>
    public int FailingReads { get; set; }

    /// <summary>Changing operations so far: writes, flushes, cuts, deletes and creations.</summary>
    public int Operations { get; private set; }

    public bool Crashed { get; private set; }

    public void CreateDirectory(string path) => QueueFileSystem.Instance.CreateDirectory(path);

    public string[] GetFiles(string path, string pattern)
    {
        ThrowIfCrashed();
        return QueueFileSystem.Instance.GetFiles(path, pattern);
    }

    public bool Exists(string path) => QueueFileSystem.Instance.Exists(path);

    public IQueueFile Open(string path, bool create)
    {
        if (create && !File.Exists(path))
        {
            Change();
        }

        ThrowIfCrashed();
        return new FaultyFile(this, QueueFileSystem.Instance.Open(path, create));
    }

    public void Delete(string path)
    {
        Change();
        QueueFileSystem.Instance.Delete(path);
    }

    private long Used() => Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length);

    private void ThrowIfCrashed()
    {
        if (Crashed)
        {
            throw new CrashedException();
        }
    }

    /// <summary>Counts a changing operation; true when this one is the crash.</summary>
    private bool Change()
    {
        ThrowIfCrashed();
        Operations++;
        if (Operations == CrashAt)
        {
            Crashed = true;
            return true;
        }

        return false;
    }

    private static IOException NoSpace() => new("No space left on device", NoSpaceLeftOnDevice);

    /// <summary>The process is gone: nothing after this operation happens.</summary>
    public sealed class CrashedException : Exception
    {
        public CrashedException()
            : base("simulated crash")
        {
        }
    }

    private sealed class FaultyFile(FaultyQueueFileSystem files, IQueueFile inner) : IQueueFile
    {
        public long Length => inner.Length;

        public int Read(Span<byte> buffer, long offset)
        {
            files.ThrowIfCrashed();
            if (files.FailingReads > 0)
            {
                files.FailingReads--;
                throw new IOException("Input/output error");
            }

            return inner.Read(buffer, offset);
        }

        public void Write(ReadOnlySpan<byte> data, long offset)
        {
            if (files.Change())
            {
                inner.Write(data[..Math.Min(files.TornBytes, data.Length)], offset);
                throw new CrashedException();
            }

            if (files.Capacity is { } capacity)
            {
                var growth = Math.Max(0, offset + data.Length - inner.Length);
                var room = capacity - files.Used();
                if (growth > room)
                {
                    // Like write(2) on a full disk: what fits is written, then ENOSPC.
                    var fits = (int)Math.Max(0, inner.Length + Math.Max(0, room) - offset);
                    if (fits > 0)
                    {
                        inner.Write(data[..Math.Min(fits, data.Length)], offset);
                    }

                    throw NoSpace();
                }
            }

            inner.Write(data, offset);
        }

        public void Flush()
        {
            if (files.Change())
            {
                throw new CrashedException();
            }

            if (files.FailFlush)
            {
                throw new IOException("Input/output error (fsync)");
            }

            inner.Flush();
        }

        public void SetLength(long length)
        {
            if (files.Change())
            {
                throw new CrashedException();
            }

            inner.SetLength(length);
        }

        public void Dispose() => inner.Dispose();
    }
}
