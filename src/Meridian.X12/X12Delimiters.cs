namespace Meridian.X12;

/// <summary>
/// The four delimiters of an interchange. X12 declares them in the ISA segment itself: the element separator is the
/// character right after "ISA", the repetition separator is ISA11 (from version 00402 on; before that ISA11 is the
/// standards identifier "U"), the component separator is ISA16, and the segment terminator is the character after ISA16.
/// </summary>
public sealed record X12Delimiters(char Element, char Repetition, char Component, char Segment)
{
    /// <summary>The usual choice: * ^ : ~ (the TR3 examples use these).</summary>
    public static X12Delimiters Default { get; } = new('*', '^', ':', '~');

    /// <summary>No repetition separator (interchanges before version 00402).</summary>
    public const char NoRepetition = '\0';

    internal bool IsDelimiter(char c) =>
        c == Element || c == Component || c == Segment || (Repetition != NoRepetition && c == Repetition);

    /// <summary>
    /// Delimiters must be distinct and must not be letters, digits or a space, which occur in data
    /// (X12.6 "Application Control Structure": delimiters are chosen from characters not used in the data).
    /// </summary>
    internal string? Problem()
    {
        char[] all = Repetition == NoRepetition ? [Element, Component, Segment] : [Element, Repetition, Component, Segment];
        foreach (var c in all)
            if (char.IsLetterOrDigit(c) || c == ' ')
                return $"'{Show(c)}' cannot be a delimiter (letters, digits and space occur in data)";
        if (all.Distinct().Count() != all.Length)
            return $"the delimiters must be distinct (element '{Show(Element)}', repetition '{Show(Repetition)}', component '{Show(Component)}', segment '{Show(Segment)}')";
        return null;
    }

    internal static string Show(char c) => c switch
    {
        '\r' => "\\r",
        '\n' => "\\n",
        '\t' => "\\t",
        NoRepetition => "none",
        _ when char.IsControl(c) => $"\\u{(int)c:X4}",
        _ => c.ToString(),
    };
}
