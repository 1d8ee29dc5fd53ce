using Apache.Arrow;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;

namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>Rebuilds the resources and scopes of a message and walks them in order.</summary>
internal sealed class ResourceScopeReader
{
    private readonly Resource?[] _resources;
    private readonly string[] _resourceSchemas;
    private readonly uint[] _scopeCounts;
    private readonly InstrumentationScope?[] _scopes;
    private readonly string[] _scopeSchemas;
    private readonly uint[] _itemCounts;

    public ResourceScopeReader(IReadOnlyDictionary<TableId, RecordBatch> tables, AttributeReader attributes, StringDictionaryReader names, ReadScratch scratch)
    {
        if (tables.TryGetValue(TableId.Resources, out var res))
        {
            var present = (BooleanArray)res.Column("present", StringComparer.Ordinal);
            var dropped = IntegerColumn<uint>.Of(res, "dropped_attributes_count");
            var schema = IntegerColumn<uint>.Of(res, "schema_url");
            var scopes = IntegerColumn<uint>.Of(res, "scope_count");
            var entities = CheckedColumns.Binary<BinaryArray>(res, "entity_refs");
            _resources = new Resource?[res.Length];
            _resourceSchemas = new string[res.Length];
            _scopeCounts = scopes.ToArray();
            for (var i = 0; i < res.Length; i++)
            {
                _resourceSchemas[i] = names[schema[i]];
                if (present.GetValue(i) != true)
                {
                    continue;
                }

                var resource = entities.IsNull(i) ? new Resource() : Resource.Parser.ParseFrom(entities.GetBytes(i));
                resource.DroppedAttributesCount = dropped[i];
                _resources[i] = resource;
            }

            attributes.Read(tables.GetValueOrDefault(TableId.ResourceAttributes), res, _resources, static r => (r ?? throw new InvalidDataException("An absent resource has attributes.")).Attributes);
        }
        else
        {
            _resources = [];
            _resourceSchemas = [];
            _scopeCounts = [];
        }

        if (tables.TryGetValue(TableId.Scopes, out var sc))
        {
            var present = (BooleanArray)sc.Column("present", StringComparer.Ordinal);
            var name = IntegerColumn<uint>.Of(sc, "name");
            var version = IntegerColumn<uint>.Of(sc, "version");
            var dropped = IntegerColumn<uint>.Of(sc, "dropped_attributes_count");
            var schema = IntegerColumn<uint>.Of(sc, "schema_url");
            _itemCounts = IntegerColumn<uint>.Of(sc, "item_count").ToArray();
            _scopes = new InstrumentationScope?[sc.Length];
            _scopeSchemas = new string[sc.Length];
            for (var i = 0; i < sc.Length; i++)
            {
                _scopeSchemas[i] = names[schema[i]];
                if (present.GetValue(i) == true)
                {
                    _scopes[i] = new InstrumentationScope { Name = names[name[i]], Version = names[version[i]], DroppedAttributesCount = dropped[i] };
                }
            }

            attributes.Read(tables.GetValueOrDefault(TableId.ScopeAttributes), sc, _scopes, static s => (s ?? throw new InvalidDataException("An absent scope has attributes.")).Attributes);
        }
        else
        {
            _scopes = [];
            _scopeSchemas = [];
            _itemCounts = [];
        }
    }

    /// <summary>
    /// Walks resources and their scopes in order: <paramref name="onResource"/> once per resource,
    /// then <paramref name="onScope"/> per scope of it with the range of its items in the root table.
    /// </summary>
    public void Walk(Action<Resource?, string> onResource, Action<InstrumentationScope?, string, int, int> onScope)
    {
        var scope = 0;
        var item = 0;
        for (var r = 0; r < _resources.Length; r++)
        {
            onResource(_resources[r], _resourceSchemas[r]);
            for (var s = 0; s < _scopeCounts[r]; s++, scope++)
            {
                var count = (int)_itemCounts[scope];
                onScope(_scopes[scope], _scopeSchemas[scope], item, count);
                item += count;
            }
        }
    }
}
