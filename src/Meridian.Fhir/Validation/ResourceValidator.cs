using System.Globalization;
using System.Text.Json;
using Meridian.Fhir.Http;

namespace Meridian.Fhir.Validation;

/// <summary>
/// Structural validation of incoming resources against the official R4 element definitions: unknown elements,
/// empty values (R4 json.html: "no empty objects, arrays or strings"), JSON types, cardinality, primitive formats,
/// required value-set bindings, and the US Core 6.1 Patient SHALLs Meridian guarantees.
/// </summary>
internal static class ResourceValidator
{
    /// <summary>FHIR caps strings at 1 MB; Meridian's records need far less, and a huge value is a mistake or an attack.</summary>
    public const int MaxStringLength = 10_000;

    public static readonly IReadOnlySet<string> SupportedTypes =
        new HashSet<string>(["Patient", "Coverage", "Organization", "Practitioner", "Location", "RelatedPerson", "Schedule", "Slot", "Appointment"], StringComparer.Ordinal);

    public static void ThrowIfInvalid(JsonElement resource, string expectedType)
    {
        var issues = Validate(resource, expectedType);
        if (issues.Count > 0) throw new FhirException(400, issues);
    }

    public static IReadOnlyList<FhirIssue> Validate(JsonElement resource, string expectedType)
    {
        var issues = new List<FhirIssue>();
        if (resource.ValueKind != JsonValueKind.Object)
        {
            issues.Add(new("structure", "A FHIR resource is a JSON object."));
            return issues;
        }
        var type = resource.TryGetProperty("resourceType", out var rt) && rt.ValueKind == JsonValueKind.String ? rt.GetString() : null;
        if (type is null)
        {
            issues.Add(new("required", "resourceType is required.", "resourceType"));
            return issues;
        }
        if (type != expectedType)
        {
            issues.Add(new("invalid", $"resourceType '{type}' does not match the endpoint's type '{expectedType}'.", "resourceType"));
            return issues;
        }
        new Walker(issues).Resource(resource, type, type);
        if (type == "Patient" && issues.Count == 0) UsCorePatient(resource, issues);
        return issues;
    }

    /// <summary>US Core 6.1 Patient: identifier (system and value), name (family or given), and gender SHALL be present.</summary>
    private static void UsCorePatient(JsonElement patient, List<FhirIssue> issues)
    {
        if (!patient.TryGetProperty("identifier", out var identifiers))
            issues.Add(new("required", "US Core Patient: identifier SHALL be present.", "Patient.identifier"));
        else
        {
            var i = 0;
            foreach (var id in identifiers.EnumerateArray())
            {
                if (!id.TryGetProperty("system", out _)) issues.Add(new("required", "US Core Patient: identifier.system SHALL be present.", $"Patient.identifier[{i}].system"));
                if (!id.TryGetProperty("value", out _)) issues.Add(new("required", "US Core Patient: identifier.value SHALL be present.", $"Patient.identifier[{i}].value"));
                i++;
            }
        }
        if (!patient.TryGetProperty("name", out var names))
            issues.Add(new("required", "US Core Patient: name SHALL be present.", "Patient.name"));
        else
        {
            var i = 0;
            foreach (var name in names.EnumerateArray())
            {
                // us-core-6: family and/or given, or a data-absent-reason extension.
                if (!name.TryGetProperty("family", out _) && !name.TryGetProperty("given", out _) && !name.TryGetProperty("extension", out _))
                    issues.Add(new("required", "US Core Patient (us-core-6): each name SHALL have a family or given name.", $"Patient.name[{i}]"));
                i++;
            }
        }
        if (!patient.TryGetProperty("gender", out _))
            issues.Add(new("required", "US Core Patient: gender SHALL be present.", "Patient.gender"));
    }

    private sealed class Walker(List<FhirIssue> issues)
    {
        private readonly FhirDefinitions _defs = FhirDefinitions.Instance;
        private int _depth;

        private void Fail(string code, string path, string message) => issues.Add(new(code, $"{path}: {message}", path));

        public void Resource(JsonElement node, string type, string path)
        {
            if (!SupportedTypes.Contains(type) || !_defs.Types.TryGetValue(type, out var def))
            {
                Fail("not-supported", path, $"resource type '{type}' is not supported here.");
                return;
            }
            Object(node, def.Elements, path, isResource: true);
        }

        private void Object(JsonElement node, IReadOnlyDictionary<string, ElementDefinition> elements, string path, bool isResource = false)
        {
            if (++_depth > 32)
            {
                Fail("too-costly", path, "the resource is nested too deeply.");
                _depth--;
                return;
            }
            try
            {
                if (node.ValueKind != JsonValueKind.Object)
                {
                    Fail("structure", path, $"expected a JSON object, found {Kind(node)}.");
                    return;
                }
                var any = false;
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in node.EnumerateObject())
                {
                    any = true;
                    var name = property.Name;
                    if (isResource && name == "resourceType") continue;
                    var childPath = $"{path}.{name}";
                    if (name == "modifierExtension")
                    {
                        // R4 extensibility.html#modifierExtension: a system SHALL refuse modifier extensions it does not understand.
                        Fail("not-supported", childPath, "modifier extensions are not understood by this server.");
                        continue;
                    }
                    if (name.Length > 1 && name[0] == '_')
                    {
                        var (baseDef, baseType) = Find(elements, name[1..]);
                        if (baseDef is null || baseType is null || !_defs.Primitives.ContainsKey(baseType))
                        {
                            Fail("structure", childPath, "unknown element.");
                            continue;
                        }
                        seen.Add(baseDef.Name);
                        PrimitiveExtension(property.Value, baseDef, node.TryGetProperty(name[1..], out var values) ? values : default, childPath);
                        continue;
                    }
                    var (def, type) = Find(elements, name);
                    if (def is null || type is null)
                    {
                        Fail("structure", childPath, "unknown element.");
                        continue;
                    }
                    if (!seen.Add(def.Name) && def.Choice)
                    {
                        Fail("structure", childPath, $"only one of {def.Name}[x] may be present.");
                        continue;
                    }
                    var hasExtension = node.TryGetProperty("_" + name, out _);
                    Element(property.Value, def, type, childPath, hasExtension);
                }
                if (!any)
                {
                    Fail("structure", path, "empty objects are not allowed (R4 json.html).");
                    return;
                }
                foreach (var def in elements.Values)
                    if (def.Min > 0 && !seen.Contains(def.Name))
                        Fail("required", $"{path}.{def.Name}", $"is required (minimum cardinality {def.Min}).");
                if (elements.ContainsKey("url") && elements.ContainsKey("value") && !isResource && elements["value"].Choice)
                {
                    // ext-1: an Extension has a value or nested extensions, not both and not neither.
                    var hasValue = node.EnumerateObject().Any(p => p.Name.StartsWith("value", StringComparison.Ordinal));
                    var hasNested = node.TryGetProperty("extension", out _);
                    if (hasValue == hasNested)
                        Fail("invariant", path, "an extension must have either a value[x] or extensions, not both (ext-1).");
                }
            }
            finally
            {
                _depth--;
            }
        }

        private (ElementDefinition? Def, string? Type) Find(IReadOnlyDictionary<string, ElementDefinition> elements, string name)
        {
            if (elements.TryGetValue(name, out var def))
                return def.Choice ? (null, null) : (def, def.Types.Count > 0 ? def.Types[0] : def.ContentReference is not null ? "#" : null);
            foreach (var candidate in elements.Values)
            {
                if (!candidate.Choice || !name.StartsWith(candidate.Name, StringComparison.Ordinal) || name.Length == candidate.Name.Length) continue;
                var suffix = name[candidate.Name.Length..];
                foreach (var t in candidate.Types)
                    if (string.Equals(char.ToUpperInvariant(t[0]) + t[1..], suffix, StringComparison.Ordinal)) return (candidate, t);
            }
            return (null, null);
        }

        private void Element(JsonElement value, ElementDefinition def, string type, string path, bool hasExtension)
        {
            if (def.Many)
            {
                if (value.ValueKind != JsonValueKind.Array)
                {
                    Fail("structure", path, "repeating element must be a JSON array.");
                    return;
                }
                if (value.GetArrayLength() == 0)
                {
                    Fail("structure", path, "empty arrays are not allowed (R4 json.html).");
                    return;
                }
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Null && hasExtension) { i++; continue; }
                    Item(item, def, type, $"{path}[{i++}]");
                }
            }
            else
            {
                if (value.ValueKind == JsonValueKind.Array)
                {
                    Fail("structure", path, "element has a maximum cardinality of 1 and must not be an array.");
                    return;
                }
                Item(value, def, type, path);
            }
        }

        private void Item(JsonElement value, ElementDefinition def, string type, string path)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                Fail("structure", path, "null is not a FHIR value; omit the element instead.");
                return;
            }
            if (_defs.Primitives.TryGetValue(type, out var primitive))
            {
                Primitive(value, primitive, def, path);
                return;
            }
            if (def.Elements is { } backbone)
            {
                Object(value, backbone, path);
                return;
            }
            if (def.ContentReference is { } reference)
            {
                if (_defs.Resolve(reference) is { Elements: { } referenced }) Object(value, referenced, path);
                else Fail("not-supported", path, $"element '{reference}' is not supported.");
                return;
            }
            if (type == "Resource")
            {
                var contained = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("resourceType", out var rt) && rt.ValueKind == JsonValueKind.String
                    ? rt.GetString()! : null;
                if (contained is null) Fail("required", path, "a contained resource needs a resourceType.");
                else Resource(value, contained, path);
                return;
            }
            if (_defs.Types.TryGetValue(type, out var complex))
            {
                Object(value, complex.Elements, path);
                if (type == "Narrative" && value.TryGetProperty("div", out var div) && div.ValueKind == JsonValueKind.String) Narrative(div.GetString()!, path + ".div");
                return;
            }
            Fail("not-supported", path, $"data type '{type}' is not supported.");
        }

        private void Primitive(JsonElement value, PrimitiveDefinition primitive, ElementDefinition def, string path)
        {
            var ok = primitive.Json switch
            {
                JsonValueKind.True => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
                JsonValueKind.Number => value.ValueKind == JsonValueKind.Number,
                _ => value.ValueKind == JsonValueKind.String,
            };
            if (!ok)
            {
                Fail("structure", path, $"a {primitive.Name} must be a JSON {(primitive.Json == JsonValueKind.True ? "boolean" : primitive.Json == JsonValueKind.Number ? "number" : "string")}, found {Kind(value)}.");
                return;
            }
            if (value.ValueKind == JsonValueKind.Number)
            {
                var raw = value.GetRawText();
                if (primitive.Name is "integer" or "positiveInt" or "unsignedInt" && !value.TryGetInt32(out _))
                    Fail("value", path, $"'{raw}' is not a 32-bit {primitive.Name}.");
                else if (primitive.Pattern is { } p && !p.IsMatch(raw))
                    Fail("value", path, $"'{raw}' is not a valid {primitive.Name}.");
                return;
            }
            if (value.ValueKind != JsonValueKind.String) return;
            var text = value.GetString()!;
            if (text.Length == 0)
            {
                Fail("structure", path, "empty strings are not allowed (R4 json.html); omit the element instead.");
                return;
            }
            var max = primitive.Name is "base64Binary" or "xhtml" ? 1024 * 1024 : MaxStringLength;
            if (text.Length > max)
            {
                Fail("too-long", path, $"the value is {text.Length} characters long; at most {max} are accepted.");
                return;
            }
            if (primitive.Pattern is { } pattern && !pattern.IsMatch(text))
            {
                Fail("value", path, $"'{Shorten(text)}' is not a valid {primitive.Name}.");
                return;
            }
            if (primitive.Name is "date" or "dateTime" or "instant" && !ValidCalendar(text))
            {
                Fail("value", path, $"'{text}' is not a real calendar date.");
                return;
            }
            if (def.Codes is { } codes && !codes.Contains(text))
                Fail("code-invalid", path, $"'{Shorten(text)}' is not in the required value set {def.ValueSet} ({string.Join(", ", codes.Take(12))}).");
        }

        private void PrimitiveExtension(JsonElement value, ElementDefinition def, JsonElement values, string path)
        {
            var element = _defs.Types["Element"].Elements;
            if (def.Many)
            {
                if (value.ValueKind != JsonValueKind.Array)
                {
                    Fail("structure", path, "must be an array matching the primitive array.");
                    return;
                }
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Null) Object(item, element, $"{path}[{i}]");
                    else if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() <= i || values[i].ValueKind == JsonValueKind.Null)
                        Fail("structure", $"{path}[{i}]", "a primitive needs a value or an extension.");
                    i++;
                }
            }
            else Object(value, element, path);
        }

        private void Narrative(string div, string path)
        {
            // R4 narrative.html: the XHTML SHALL NOT contain scripts, event handlers or forms.
            var lower = div.ToLowerInvariant();
            if (!lower.TrimStart().StartsWith("<div", StringComparison.Ordinal))
                Fail("value", path, "narrative must be an XHTML <div>.");
            else if (lower.Contains("<script", StringComparison.Ordinal) || lower.Contains("javascript:", StringComparison.Ordinal) ||
                     System.Text.RegularExpressions.Regex.IsMatch(lower, @"\son[a-z]+\s*=", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)) ||
                     lower.Contains("<form", StringComparison.Ordinal) || lower.Contains("<iframe", StringComparison.Ordinal))
                Fail("value", path, "narrative must not contain scripts, event handlers, forms or frames.");
        }

        private static bool ValidCalendar(string text)
        {
            if (text.Length < 10) return true; // year or year-month: the pattern already bounds them
            if (!DateTime.TryParseExact(text[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) return false;
            return text.Length == 10 || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);
        }

        private static string Kind(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        };

        private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";
    }
}
