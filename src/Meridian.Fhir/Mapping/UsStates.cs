namespace Meridian.Fhir.Mapping;

/// <summary>
/// US Core 6.1 binds Address.state to the USPS two-letter codes (ValueSet us-core-usps-state, extensible), and Meridian
/// stores US addresses that way. Many systems (Synthea among them) send the full name ("Massachusetts"); it names the
/// same state, so it is converted rather than refused.
/// </summary>
internal static class UsStates
{
    private static readonly Dictionary<string, string> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Alabama"] = "AL", ["Alaska"] = "AK", ["Arizona"] = "AZ", ["Arkansas"] = "AR", ["California"] = "CA",
        ["Colorado"] = "CO", ["Connecticut"] = "CT", ["Delaware"] = "DE", ["District of Columbia"] = "DC", ["Florida"] = "FL",
        ["Georgia"] = "GA", ["Hawaii"] = "HI", ["Idaho"] = "ID", ["Illinois"] = "IL", ["Indiana"] = "IN", ["Iowa"] = "IA",
        ["Kansas"] = "KS", ["Kentucky"] = "KY", ["Louisiana"] = "LA", ["Maine"] = "ME", ["Maryland"] = "MD",
        ["Massachusetts"] = "MA", ["Michigan"] = "MI", ["Minnesota"] = "MN", ["Mississippi"] = "MS", ["Missouri"] = "MO",
        ["Montana"] = "MT", ["Nebraska"] = "NE", ["Nevada"] = "NV", ["New Hampshire"] = "NH", ["New Jersey"] = "NJ",
        ["New Mexico"] = "NM", ["New York"] = "NY", ["North Carolina"] = "NC", ["North Dakota"] = "ND", ["Ohio"] = "OH",
        ["Oklahoma"] = "OK", ["Oregon"] = "OR", ["Pennsylvania"] = "PA", ["Rhode Island"] = "RI", ["South Carolina"] = "SC",
        ["South Dakota"] = "SD", ["Tennessee"] = "TN", ["Texas"] = "TX", ["Utah"] = "UT", ["Vermont"] = "VT",
        ["Virginia"] = "VA", ["Washington"] = "WA", ["West Virginia"] = "WV", ["Wisconsin"] = "WI", ["Wyoming"] = "WY",
        ["American Samoa"] = "AS", ["Guam"] = "GU", ["Northern Mariana Islands"] = "MP", ["Puerto Rico"] = "PR",
        ["U.S. Virgin Islands"] = "VI", ["Virgin Islands"] = "VI", ["United States Minor Outlying Islands"] = "UM",
        ["Federated States of Micronesia"] = "FM", ["Marshall Islands"] = "MH", ["Palau"] = "PW",
    };

    /// <summary>The USPS code for a US state given by name or code; anything else unchanged (validation then decides).</summary>
    public static string? Normalize(string? state, string? country)
    {
        if (string.IsNullOrWhiteSpace(state) || country is not (null or "US" or "USA")) return state;
        var trimmed = state.Trim();
        if (trimmed.Length == 2 && trimmed.All(char.IsAsciiLetter)) return trimmed.ToUpperInvariant();
        return ByName.TryGetValue(trimmed, out var code) ? code : state;
    }
}
