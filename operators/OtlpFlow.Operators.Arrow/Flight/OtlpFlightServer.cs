using Apache.Arrow.Flight;
using Apache.Arrow.Flight.Server;
using Grpc.Core;

namespace OtlpFlow.Operators.Arrow.Flight;

/// <summary>The Flight service of <c>arrow.flight.receiver</c>: DoPut only.</summary>
internal sealed class OtlpFlightServer(FlightIngest ingest) : FlightServer
{
    public override Task DoPut(FlightServerRecordBatchStreamReader requestStream, IAsyncStreamWriter<FlightPutResult> responseStream, ServerCallContext context) =>
        ingest.DoPutAsync(requestStream, responseStream, context);
}
