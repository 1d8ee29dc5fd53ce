using Microsoft.Win32.SafeHandles;

namespace OtlpFlow.Operators.Flow;

/// <summary>The real file system, through <see cref="RandomAccess"/>: no stream buffer can hold bytes back after a failed write.</summary>
internal sealed class QueueFileSystem : IQueueFileSystem
{
    public static QueueFileSystem Instance { get; } = new();

    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    public string[] GetFiles(string directory, string pattern) => Directory.GetFiles(directory, pattern);

    public bool Exists(string path) => System.IO.File.Exists(path);

    public IQueueFile Open(string path, bool create) =>
        new File(System.IO.File.OpenHandle(path, create ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete));

    public void Delete(string path) => System.IO.File.Delete(path);

    private sealed class File(SafeFileHandle handle) : IQueueFile
    {
        public long Length => RandomAccess.GetLength(handle);

        public int Read(Span<byte> buffer, long offset)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var read = RandomAccess.Read(handle, buffer[total..], offset + total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total;
        }

        public void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle, data, offset);

        public void Flush() => RandomAccess.FlushToDisk(handle);

        public void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public void Dispose() => handle.Dispose();
    }
}
