using Google.Protobuf;

namespace OtlpFlow.Operators.Generator;

/// <summary>Makes export requests of one signal, each with exactly the number of items asked for.</summary>
internal interface ISignalSynthesizer
{
    /// <summary>The next request, holding exactly <paramref name="items"/> items.</summary>
    IMessage Next(int items);
}
