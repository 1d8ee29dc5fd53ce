using Apache.Arrow;
using Apache.Arrow.Memory;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>
/// The resource and scope tables every signal shares. The root table's rows are in scope order,
/// so the resource and scope id of each row are run-length encoded as counts: a resource row says
/// how many scope rows follow it, a scope row how many items.
/// </summary>
internal sealed class ResourceScopeColumns
{
    private readonly StringDictionary _keys;
    private readonly StringDictionary _values;
    private readonly StringDictionary _names;

    private readonly BooleanArray.Builder _resPresent = new();
    private readonly UInt32Array.Builder _resDropped = new();
    private readonly UInt32Array.Builder _resSchema = new();
    private readonly UInt32Array.Builder _resScopes = new();
    private readonly BinaryArray.Builder _resEntities = new();
    private readonly AttributeTable _resAttributes = new();
    private int _resources;

    private readonly BooleanArray.Builder _scopePresent = new();
    private readonly UInt32Array.Builder _scopeName = new();
    private readonly UInt32Array.Builder _scopeVersion = new();
    private readonly UInt32Array.Builder _scopeDropped = new();
    private readonly UInt32Array.Builder _scopeSchema = new();
    private readonly UInt32Array.Builder _scopeItems = new();
    private readonly AttributeTable _scopeAttributes = new();
    private int _scopes;

    public ResourceScopeColumns(StringDictionary keys, StringDictionary values, StringDictionary names)
    {
        _keys = keys;
        _values = values;
        _names = names;
    }

    public void AddResource(Resource? resource, string schemaUrl, int scopeCount)
    {
        var row = (uint)_resources++;
        _resPresent.Append(resource is not null);
        _resDropped.Append(resource?.DroppedAttributesCount ?? 0);
        _resSchema.Append(_names.IndexOf(schemaUrl));
        _resScopes.Append((uint)scopeCount);
        if (resource is { EntityRefs.Count: > 0 })
        {
            var refs = new Resource();
            refs.EntityRefs.Add(resource.EntityRefs);
            _resEntities.Append(refs.ToByteString().Span);
        }
        else
        {
            _resEntities.AppendNull();
        }

        if (resource is not null)
        {
            _resAttributes.Add(row, resource.Attributes, _keys, _values);
        }
    }

    public void AddScope(InstrumentationScope? scope, string schemaUrl, int itemCount)
    {
        var row = (uint)_scopes++;
        _scopePresent.Append(scope is not null);
        _scopeName.Append(_names.IndexOf(scope?.Name ?? string.Empty));
        _scopeVersion.Append(_names.IndexOf(scope?.Version ?? string.Empty));
        _scopeDropped.Append(scope?.DroppedAttributesCount ?? 0);
        _scopeSchema.Append(_names.IndexOf(schemaUrl));
        _scopeItems.Append((uint)itemCount);
        if (scope is not null)
        {
            _scopeAttributes.Add(row, scope.Attributes, _keys, _values);
        }
    }

    public void Build(MemoryAllocator allocator, List<(TableId, RecordBatch)> tables)
    {
        if (_resources > 0)
        {
            tables.Add((TableId.Resources, new TableBuilder(allocator)
                .Add("present", _resPresent.Build(allocator))
                .Add("dropped_attributes_count", _resDropped.Build(allocator))
                .Add("schema_url", _resSchema.Build(allocator))
                .Add("scope_count", _resScopes.Build(allocator))
                .Add("entity_refs", _resEntities.Build(allocator), nullable: true)
                .Build(_resources)));
        }

        if (_resAttributes.Count > 0)
        {
            tables.Add((TableId.ResourceAttributes, _resAttributes.Build(allocator)));
        }

        if (_scopes > 0)
        {
            tables.Add((TableId.Scopes, new TableBuilder(allocator)
                .Add("present", _scopePresent.Build(allocator))
                .Add("name", _scopeName.Build(allocator))
                .Add("version", _scopeVersion.Build(allocator))
                .Add("dropped_attributes_count", _scopeDropped.Build(allocator))
                .Add("schema_url", _scopeSchema.Build(allocator))
                .Add("item_count", _scopeItems.Build(allocator))
                .Build(_scopes)));
        }

        if (_scopeAttributes.Count > 0)
        {
            tables.Add((TableId.ScopeAttributes, _scopeAttributes.Build(allocator)));
        }
    }
}
