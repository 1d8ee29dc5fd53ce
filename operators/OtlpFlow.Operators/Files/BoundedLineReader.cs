using System.Buffers;
using System.Text;

namespace OtlpFlow.Operators.Files;

/// <summary>
/// Reads UTF-8 lines (ending in <c>\n</c> or <c>\r\n</c>) from a stream, holding at most
/// <c>maxBytes</c> of one line: a longer line is reported as too long and skipped to its end without
/// being kept, where <see cref="StreamReader.ReadLineAsync()"/> would grow without bound.
/// </summary>
internal sealed class BoundedLineReader(Stream stream, long maxBytes)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly ArrayBufferWriter<byte> _line = new();
    private int _start;
    private int _end;
    private bool _started;

    /// <summary>The next line (null at the end of the stream), or <c>TooLong</c> for a line skipped for its length.</summary>
    public async ValueTask<(string? Line, bool TooLong)> ReadAsync(CancellationToken cancellationToken)
    {
        _line.ResetWrittenCount();
        var tooLong = false;
        var any = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (!_started)
                {
                    _started = true;
                    if (_buffer.AsSpan(0, _end).StartsWith("\uFEFF"u8))
                    {
                        _start = 3; // a byte order mark
                    }
                }

                if (_end == 0)
                {
                    return !any ? (null, false) : tooLong ? (null, true) : (Decode(), false);
                }
            }

            any = true;
            var available = _buffer.AsSpan(_start, _end - _start);
            var newline = available.IndexOf((byte)'\n');
            var part = newline < 0 ? available : available[..newline];
            if (!tooLong)
            {
                if (_line.WrittenCount + part.Length > maxBytes)
                {
                    tooLong = true;
                    _line.ResetWrittenCount();
                }
                else
                {
                    _line.Write(part);
                }
            }

            if (newline < 0)
            {
                _start = _end;
                continue;
            }

            _start += newline + 1;
            return tooLong ? (null, true) : (Decode(), false);
        }
    }

    private string Decode()
    {
        var line = _line.WrittenSpan;
        return Encoding.UTF8.GetString(line.EndsWith((byte)'\r') ? line[..^1] : line);
    }
}
