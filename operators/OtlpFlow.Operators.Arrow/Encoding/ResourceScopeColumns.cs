using Apache.Arrow;
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
    private static readonly Google.Protobuf.Collections.RepeatedField<KeyValue> NoAttributes = [];
    private readonly AttributeContext _attributes;
    private readonly StringDictionary _names;

    private readonly BoolColumn _resPresent = new();
    private readonly UnsignedColumn _resDropped = new();
    private readonly UnsignedColumn _resSchema = new();
    private readonly UnsignedColumn _resScopes = new();
    private readonly BinaryColumn _resEntities = new(nullable: true);
    private readonly AttributeTable _resAttributes = new();
    private int _resources;

    private readonly BoolColumn _scopePresent = new();
    private readonly UnsignedColumn _scopeName = new();
    private readonly UnsignedColumn _scopeVersion = new();
    private readonly UnsignedColumn _scopeDropped = new();
    private readonly UnsignedColumn _scopeSchema = new();
    private readonly UnsignedColumn _scopeItems = new();
    private readonly AttributeTable _scopeAttributes = new();
    private int _scopes;

    public ResourceScopeColumns(AttributeContext attributes, StringDictionary names)
    {
        _attributes = attributes;
        _names = names;
    }

    /// <summary>Forgets the previous message's rows; the columns are kept for the next.</summary>
    public void Clear()
    {
        _resPresent.Clear();
        _resDropped.Clear();
        _resSchema.Clear();
        _resScopes.Clear();
        _resEntities.Clear();
        _resAttributes.Clear();
        _resources = 0;
        _scopePresent.Clear();
        _scopeName.Clear();
        _scopeVersion.Clear();
        _scopeDropped.Clear();
        _scopeSchema.Clear();
        _scopeItems.Clear();
        _scopeAttributes.Clear();
        _scopes = 0;
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

        _resAttributes.Add(row, resource?.Attributes ?? NoAttributes, _attributes);
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
        _scopeAttributes.Add(row, scope?.Attributes ?? NoAttributes, _attributes);
    }

    public void Build(MessageBuffers buffers, List<(TableId, RecordBatch)> tables)
    {
        if (_resources > 0)
        {
            tables.Add((TableId.Resources, new TableBuilder(buffers)
                .Add("present", _resPresent)
                .Add("dropped_attributes_count", _resDropped)
                .Add("schema_url", _resSchema)
                .Add("scope_count", _resScopes)
                .Add("entity_refs", _resEntities)
                .Add("attributes_shape", _resAttributes.Shapes)
                .Build(_resources)));
        }

        if (_resAttributes.Count > 0)
        {
            tables.Add((TableId.ResourceAttributes, _resAttributes.Build(buffers, _attributes.Shapes)));
        }

        if (_scopes > 0)
        {
            tables.Add((TableId.Scopes, new TableBuilder(buffers)
                .Add("present", _scopePresent)
                .Add("name", _scopeName)
                .Add("version", _scopeVersion)
                .Add("dropped_attributes_count", _scopeDropped)
                .Add("schema_url", _scopeSchema)
                .Add("item_count", _scopeItems)
                .Add("attributes_shape", _scopeAttributes.Shapes)
                .Build(_scopes)));
        }

        if (_scopeAttributes.Count > 0)
        {
            tables.Add((TableId.ScopeAttributes, _scopeAttributes.Build(buffers, _attributes.Shapes)));
        }
    }
}
