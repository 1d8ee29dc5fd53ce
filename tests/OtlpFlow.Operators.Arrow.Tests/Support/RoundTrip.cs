using Google.Protobuf;
using OtlpFlow.Operators.Arrow.Encoding;

namespace OtlpFlow.Operators.Arrow.Tests.Support;

/// <summary>Encodes and decodes a request with every compression.</summary>
internal static class RoundTrip
{
    /// <summary>Asserts that the request comes back equal, twice per compression: the second message reuses the dictionaries of the first.</summary>
    public static void AssertLossless(IMessage request)
    {
        foreach (var compression in Enum.GetValues<ArrowCompression>())
        {
            var encoder = new OtlpArrowEncoder(new ArrowEncoderOptions { Compression = compression });
            var decoder = new OtlpArrowDecoder();
            Assert.Equal(request, decoder.Decode(encoder.Encode(request)));
            Assert.Equal(request, decoder.Decode(encoder.Encode(request)));
        }
    }
}
