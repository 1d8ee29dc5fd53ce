namespace OtlpFlow.Operators.Generator;

/// <summary>An HTTP operation a synthetic service serves, with prepared example paths and URLs.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Route">The route template (<c>http.route</c>).</param>
/// <param name="SpanName">The server span name: method and route.</param>
/// <param name="Paths">Example concrete paths (<c>url.path</c>).</param>
/// <param name="Urls">The same paths as full URLs, as a client of the service sees them (<c>url.full</c>).</param>
/// <param name="MedianMs">The operation's typical latency.</param>
/// <param name="CarriesAmount">True for operations that carry a money amount (a double attribute).</param>
internal sealed record SyntheticRoute(string Method, string Route, string SpanName, string[] Paths, string[] Urls, double MedianMs, bool CarriesAmount);
