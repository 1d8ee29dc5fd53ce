namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>The stream dictionaries: one per kind of string, so that indices stay small.</summary>
internal enum DictionaryId : byte
{
    /// <summary>Attribute keys.</summary>
    Keys = 0,

    /// <summary>String values of attributes, one dictionary per key (the delta names each entry's key).</summary>
    Values = 1,

    /// <summary>Names, versions, units, schema URLs, trace states and status messages.</summary>
    Names = 2,

    /// <summary>String log bodies.</summary>
    Bodies = 3,
}
