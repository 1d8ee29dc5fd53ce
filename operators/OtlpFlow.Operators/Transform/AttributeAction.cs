namespace OtlpFlow.Operators.Transform;

/// <summary>What an <c>attributes</c> action does to its key.</summary>
public enum AttributeAction
{
    /// <summary>Sets the value only when the key is absent.</summary>
    Insert,

    /// <summary>Sets the value only when the key is present.</summary>
    Update,

    /// <summary>Sets the value whether or not the key is present.</summary>
    Upsert,

    /// <summary>Removes the key.</summary>
    Delete,

    /// <summary>Replaces the value with the lowercase hex SHA-256 of its text.</summary>
    Hash,
}
