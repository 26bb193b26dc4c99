namespace Meridian.SharedKernel;

/// <summary>A strongly typed identifier over a Guid. Ids are version-7 Guids so that new rows land at the end of indexes.</summary>
public interface ITypedId
{
    Guid Value { get; }
}

public static class TypedIds
{
    public static Guid NewGuid(TimeProvider time) => Guid.CreateVersion7(time.GetUtcNow());

    /// <summary>Parses the textual form used in URLs and FHIR ids; null when the text is not a Guid.</summary>
    public static Guid? TryParse(string? text) => Guid.TryParse(text, out var g) ? g : null;
}
