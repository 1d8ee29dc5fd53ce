using System.Text;
using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtlpFlow.Operators.Sampling;

/// <summary>
/// The resources and scopes of held spans, each kept once as its encoded bytes however many spans
/// and batches share it: a held span names its scope by a small integer id, and a scope its
/// resource. Entries are found by content, so equal resources from different requests are one
/// entry. A scope entry counts the spans held under it and a resource entry the scopes under it;
/// an entry whose count drops to zero is removed, its id reused after <see cref="Reclaim"/> (until
/// then it stays readable, as arena chunks do). Not thread-safe: used under the sampler's lock.
/// </summary>
internal sealed class InternedScopes
{
    private readonly Dictionary<byte[], int> _resourceIds = new(ByteContentComparer.Instance);
    private readonly Dictionary<byte[], int> _scopeIds = new(ByteContentComparer.Instance);
    private readonly TraceValueExtractor _extractor;
    private readonly List<int> _pendingResources = [];
    private readonly List<int> _pendingScopes = [];
    private Entry[] _resources = new Entry[16];
    private Entry[] _scopes = new Entry[16];
    private int _resourceCount;
    private int _scopeCount;
    private readonly Stack<int> _freeResources = new();
    private readonly Stack<int> _freeScopes = new();
    private byte[] _scratch = new byte[256];

    public InternedScopes(TraceValueExtractor extractor) => _extractor = extractor;

    /// <summary>Bytes of the entries' encodings (charged to the sampler's held bytes).</summary>
    public long HeldBytes { get; private set; }

    /// <summary>Resource entries held.</summary>
    public int Resources => _resourceIds.Count;

    /// <summary>Scope entries held.</summary>
    public int Scopes => _scopeIds.Count;

    /// <summary>
    /// The resource entry of <paramref name="resourceSpans"/> (its resource and schema url),
    /// created with no reference when new (take one by interning a scope under it at once). Its key holds the encoded ResourceSpans fields 1 and 3.
    /// </summary>
    public int InternResource(ResourceSpans resourceSpans) =>
        InternResource(resourceSpans.Resource is not null, resourceSpans.Resource?.ToByteArray() ?? [], Encoding.UTF8.GetBytes(resourceSpans.SchemaUrl));

    /// <summary>
    /// The resource entry of an encoded ResourceSpans, from its raw <c>resource</c> field (when
    /// present) and <c>schema_url</c>: the same key as <see cref="InternResource(ResourceSpans)"/>
    /// builds for canonically encoded data.
    /// </summary>
    public int InternResource(bool hasResource, ReadOnlySpan<byte> resource, ReadOnlySpan<byte> schemaUrl)
    {
        var size = 0;
        var key = Field(ref size, 1, hasResource, resource, 0);
        var split = size;
        key = Field(ref size, 3, schemaUrl.Length > 0, schemaUrl, 0);
        var lookup = _resourceIds.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(key.AsSpan(0, size), out var id))
        {
            return id;
        }

        var bytes = key.AsSpan(0, size).ToArray();
        id = NewId(ref _resources, ref _resourceCount, _freeResources);
        var values = hasResource && _extractor.ReadsAttributes ? _extractor.FromResource(Resource.Parser.ParseFrom(resource)) : null;
        _resources[id] = new Entry(bytes, split, -1, values);
        _resourceIds.Add(bytes, id);
        HeldBytes += bytes.Length;
        return id;
    }

    /// <summary>The scope entry of an encoded ScopeSpans under <paramref name="resourceId"/>, from its raw <c>scope</c> field (when present) and <c>schema_url</c>.</summary>
    public int InternScope(int resourceId, bool hasScope, ReadOnlySpan<byte> scope, ReadOnlySpan<byte> schemaUrl)
    {
        var size = 4;
        var key = Scratch(4);
        BinaryPrimitives.WriteUInt32LittleEndian(key, (uint)resourceId);
        key = Field(ref size, 1, hasScope, scope, 4);
        var split = size;
        key = Field(ref size, 3, schemaUrl.Length > 0, schemaUrl, 4);
        var lookup = _scopeIds.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(key.AsSpan(0, size), out var id))
        {
            return id;
        }

        var bytes = key.AsSpan(0, size).ToArray();
        id = NewId(ref _scopes, ref _scopeCount, _freeScopes);
        _scopes[id] = new Entry(bytes, split, resourceId, null);
        _scopeIds.Add(bytes, id);
        _resources[resourceId].References++;
        HeldBytes += bytes.Length;
        return id;
    }

    /// <summary>Appends a length-delimited field (tag, length, bytes) to the scratch key at <paramref name="size"/>, when present.</summary>
    private byte[] Field(ref int size, int field, bool present, ReadOnlySpan<byte> value, int keep)
    {
        if (!present)
        {
            return Scratch(Math.Max(size, keep));
        }

        var need = size + 1 + 5 + value.Length;
        var key = Scratch(need);
        key[size++] = (byte)((field << 3) | 2);
        var length = (uint)value.Length;
        while (length >= 0x80)
        {
            key[size++] = (byte)(length | 0x80);
            length >>= 7;
        }

        key[size++] = (byte)length;
        value.CopyTo(key.AsSpan(size));
        size += value.Length;
        return key;
    }

    /// <summary>The scope entry of <paramref name="scopeSpans"/> under resource <paramref name="resourceId"/>, taking a reference on the resource when new.</summary>
    public int InternScope(int resourceId, ScopeSpans scopeSpans) =>
        InternScope(resourceId, scopeSpans.Scope is not null, scopeSpans.Scope?.ToByteArray() ?? [], Encoding.UTF8.GetBytes(scopeSpans.SchemaUrl));

    /// <summary>The resource of a scope entry.</summary>
    public int ResourceOf(int scopeId) => _scopes[scopeId].Parent;

    /// <summary>The values of the policies' attribute keys on a resource (empty when none).</summary>
    public TraceValue[] ResourceValues(int resourceId) => _resources[resourceId].Values ?? [];

    /// <summary>A resource entry's encoded ResourceSpans fields: <c>resource</c> (1) and <c>schema_url</c> (3).</summary>
    public void ResourceFields(int resourceId, out ReadOnlySpan<byte> head, out ReadOnlySpan<byte> tail)
    {
        ref var e = ref _resources[resourceId];
        head = e.Key.AsSpan(0, e.Split);
        tail = e.Key.AsSpan(e.Split);
    }

    /// <summary>A scope entry's encoded ScopeSpans fields: <c>scope</c> (1) and <c>schema_url</c> (3).</summary>
    public void ScopeFields(int scopeId, out ReadOnlySpan<byte> head, out ReadOnlySpan<byte> tail)
    {
        ref var e = ref _scopes[scopeId];
        head = e.Key.AsSpan(4, e.Split - 4);
        tail = e.Key.AsSpan(e.Split);
    }

    /// <summary>One more span held under a scope.</summary>
    public void AddSpan(int scopeId) => _scopes[scopeId].References++;

    /// <summary>One span fewer under a scope; removes the scope (and its resource) when it was the last.</summary>
    public void ReleaseSpan(int scopeId)
    {
        ref var scope = ref _scopes[scopeId];
        if (--scope.References > 0)
        {
            return;
        }

        _scopeIds.Remove(scope.Key);
        HeldBytes -= scope.Key.Length;
        _pendingScopes.Add(scopeId);
        ref var resource = ref _resources[scope.Parent];
        if (--resource.References == 0)
        {
            _resourceIds.Remove(resource.Key);
            HeldBytes -= resource.Key.Length;
            _pendingResources.Add(scope.Parent);
        }
    }

    /// <summary>Makes the ids of removed entries reusable.</summary>
    public void Reclaim()
    {
        foreach (var id in _pendingScopes)
        {
            _scopes[id] = default;
            _freeScopes.Push(id);
        }

        foreach (var id in _pendingResources)
        {
            _resources[id] = default;
            _freeResources.Push(id);
        }

        _pendingScopes.Clear();
        _pendingResources.Clear();
    }

    private static int NewId(ref Entry[] entries, ref int count, Stack<int> free)
    {
        if (free.TryPop(out var id))
        {
            return id;
        }

        id = count++;
        if (id == entries.Length)
        {
            Array.Resize(ref entries, entries.Length * 2);
        }

        return id;
    }

    private byte[] Scratch(int size)
    {
        if (_scratch.Length < size)
        {
            // Grown with its content: a key is built field by field.
            var bigger = new byte[Math.Max(size, _scratch.Length * 2)];
            _scratch.CopyTo(bigger, 0);
            _scratch = bigger;
        }

        // Reused for every lookup, so that finding a known resource or scope allocates nothing;
        // callers read its first `size` bytes.
        return _scratch;
    }

    private struct Entry(byte[] key, int split, int parent, TraceValue[]? values)
    {
        public byte[] Key = key;
        public int Split = split;
        public int Parent = parent;
        public TraceValue[]? Values = values;
        public int References;
    }

    /// <summary>Byte arrays compared by content, with lookups by span so that a lookup allocates nothing.</summary>
    private sealed class ByteContentComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteContentComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> bytes)
        {
            var hash = default(HashCode);
            hash.AddBytes(bytes);
            return hash.ToHashCode();
        }
    }
}
