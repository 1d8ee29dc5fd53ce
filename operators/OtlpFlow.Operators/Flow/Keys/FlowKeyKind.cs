namespace OtlpFlow.Operators.Flow;

/// <summary>Where a <see cref="FlowKey"/> reads its value.</summary>
internal enum FlowKeyKind
{
    /// <summary>The batch's tenant (<c>tenant</c>).</summary>
    Tenant,

    /// <summary>A client metadata entry (<c>metadata.NAME</c>).</summary>
    Metadata,

    /// <summary>A resource attribute (<c>service</c> for <c>service.name</c>, or <c>resource.NAME</c>).</summary>
    ResourceAttribute,

    /// <summary>The trace id of each span or log record (<c>traceId</c>).</summary>
    TraceId,

    /// <summary>An attribute of each span or log record (<c>attributes.NAME</c>).</summary>
    ItemAttribute,
}
