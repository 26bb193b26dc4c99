namespace Meridian.X12;

/// <summary>
/// One segment as read: its identifier, its data elements, and its 1-based position in the input (ISA is 1), which error
/// messages and 999 acknowledgments refer to. Element numbers follow the X12 reference designators: <c>nm1[9]</c> is NM109.
/// A missing or empty element reads as "" (X12 does not distinguish the two).
/// </summary>
public sealed class X12Segment
{
    private readonly string[] _elements;

    internal X12Segment(string id, string[] elements, X12Delimiters delimiters, int position)
    {
        Id = id;
        _elements = elements;
        Delimiters = delimiters;
        Position = position;
    }

    public string Id { get; }

    /// <summary>1-based position of this segment in the input it was read from.</summary>
    public int Position { get; }

    public X12Delimiters Delimiters { get; }

    /// <summary>How many data elements follow the identifier (trailing empty ones included, as sent).</summary>
    public int ElementCount => _elements.Length;

    /// <summary>The data element at a 1-based reference designator position, or "" when absent.</summary>
    public string this[int element] => Element(element);

    public string Element(int element)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(element, 1);
        return element <= _elements.Length ? _elements[element - 1] : "";
    }

    /// <summary>The element's value, or null when it is empty.</summary>
    public string? Optional(int element) => Element(element) is { Length: > 0 } v ? v : null;

    public bool Has(int element) => Element(element).Length > 0;

    /// <summary>The components of a composite element (one entry for a simple element; none when empty).</summary>
    public IReadOnlyList<string> Components(int element)
    {
        var value = Element(element);
        return value.Length == 0 ? [] : value.Split(Delimiters.Component);
    }

    /// <summary>A 1-based component of a composite element, or "".</summary>
    public string Component(int element, int component)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(component, 1);
        var parts = Components(element);
        return component <= parts.Count ? parts[component - 1] : "";
    }

    /// <summary>The repetitions of a repeating element (EB03, EQ01…); one entry when it does not repeat, none when empty.</summary>
    public IReadOnlyList<string> Repetitions(int element)
    {
        var value = Element(element);
        if (value.Length == 0) return [];
        return Delimiters.Repetition == X12Delimiters.NoRepetition ? [value] : value.Split(Delimiters.Repetition);
    }

    /// <summary>The segment as it would be written, without its terminator.</summary>
    public override string ToString() =>
        _elements.Length == 0 ? Id : Id + Delimiters.Element + string.Join(Delimiters.Element, _elements);
}
