using System.Text;
using System.Text.Json;

namespace OtlpFlow.Engine.Pipeline;

/// <summary>
/// Where each value of a JSON document starts, by JSON path (<c>$.operators.tail.inputs[0]</c>), as
/// 1-based line and column. System.Text.Json's DOM keeps no positions, so validation messages get
/// theirs from this one extra pass over the text.
/// </summary>
public sealed class JsonPositionMap
{
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    private JsonPositionMap() { }

    /// <summary>Maps every property and array element of <paramref name="utf8Json"/>. Stops quietly at a syntax error.</summary>
    public static JsonPositionMap Build(ReadOnlySpan<byte> utf8Json)
    {
        var map = new JsonPositionMap();
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < utf8Json.Length; i++)
        {
            if (utf8Json[i] == (byte)'\n')
            {
                lineStarts.Add(i + 1);
            }
        }

        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        // Each frame: the path of the container, whether it is an array, and the next array index.
        var stack = new Stack<(string Path, bool IsArray, int Index)>();
        string? pendingProperty = null;
        try
        {
            while (reader.Read())
            {
                var position = ToLineColumn(utf8Json, lineStarts, (int)reader.TokenStartIndex);
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        pendingProperty = stack.Peek().Path + "." + reader.GetString();
                        map._positions.TryAdd(pendingProperty, position);
                        continue;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        stack.Pop();
                        continue;
                }

                var path = ValuePath(stack, ref pendingProperty);
                map._positions.TryAdd(path, position);

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    stack.Push((path, reader.TokenType == JsonTokenType.StartArray, 0));
                }
            }
        }
        catch (JsonException)
        {
            // The loader reports the syntax error itself; positions found so far are still useful.
        }

        return map;
    }

    /// <summary>The position of <paramref name="path"/>, or of its nearest mapped ancestor, or 1:1.</summary>
    public (int Line, int Column) Find(string path)
    {
        while (true)
        {
            if (_positions.TryGetValue(path, out var position))
            {
                return position;
            }

            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            if (cut <= 0)
            {
                return (1, 1);
            }

            path = path[..cut];
        }
    }

    private static string ValuePath(Stack<(string Path, bool IsArray, int Index)> stack, ref string? pendingProperty)
    {
        if (stack.Count == 0)
        {
            return "$";
        }

        var top = stack.Peek();
        if (top.IsArray)
        {
            stack.Pop();
            stack.Push((top.Path, true, top.Index + 1));
            return $"{top.Path}[{top.Index}]";
        }

        var path = pendingProperty ?? top.Path;
        pendingProperty = null;
        return path;
    }

    private static (int Line, int Column) ToLineColumn(ReadOnlySpan<byte> text, List<int> lineStarts, int offset)
    {
        var line = lineStarts.BinarySearch(offset);
        if (line < 0)
        {
            line = ~line - 1;
        }

        // Columns count characters, not bytes, so that a non-ASCII name earlier on the line does not shift them.
        var column = Encoding.UTF8.GetCharCount(text[lineStarts[line]..offset]) + 1;
        return (line + 1, column);
    }
}
