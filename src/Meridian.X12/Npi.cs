namespace Meridian.X12;

/// <summary>National Provider Identifier checks (45 CFR 162.406; CMS "NPI Check Digit" paper).</summary>
public static class Npi
{
    /// <summary>
    /// Ten digits whose last is the Luhn check digit computed over the card-issuer prefix 80840 followed by the first nine
    /// digits (the NPI is an ISO 7812 identifier with that prefix).
    /// </summary>
    public static bool IsValid(string? npi)
    {
        if (npi is null || npi.Length != 10 || !npi.All(char.IsAsciiDigit)) return false;
        return LuhnValid("80840" + npi);
    }

    private static bool LuhnValid(string digits)
    {
        var sum = 0;
        var doubleIt = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubleIt)
            {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
            doubleIt = !doubleIt;
        }
        return sum % 10 == 0;
    }
}
