using Meridian.SharedKernel.Security;

namespace Meridian.Identity.Security;

/// <summary>
/// SMART App Launch v2 scopes (<c>context/resourceType.cruds</c>, SMART 2.0.0 §3.0.2) mapped onto Meridian permissions.
/// A scope grants only what its letters say: r/s read and search, c/u/d write. v1 forms (<c>.read</c>, <c>.write</c>, <c>.*</c>) are accepted.
/// </summary>
public static class SmartScopes
{
    private static readonly Dictionary<string, (string Read, string Write)> ResourcePermissions = new(StringComparer.Ordinal)
    {
        ["Patient"] = (Permissions.PatientRead, Permissions.PatientWrite),
        ["Coverage"] = (Permissions.PatientRead, Permissions.PatientWrite),
        ["RelatedPerson"] = (Permissions.PatientRead, Permissions.PatientWrite),
        ["Organization"] = (Permissions.DirectoryRead, Permissions.DirectoryWrite),
        ["Practitioner"] = (Permissions.DirectoryRead, Permissions.DirectoryWrite),
        ["Location"] = (Permissions.DirectoryRead, Permissions.DirectoryWrite),
        ["AuditEvent"] = (Permissions.AuditRead, Permissions.AuditRead),
        ["Appointment"] = (Permissions.ScheduleRead, Permissions.ScheduleWrite),
        ["Slot"] = (Permissions.ScheduleRead, Permissions.ScheduleWrite),
        // Writing a Schedule changes a provider's availability: the scheduling administrator's work.
        ["Schedule"] = (Permissions.ScheduleRead, Permissions.ScheduleAdmin),
        // Outbound and inbound patient messages (FHIR R4 Communication is the resource for them).
        ["Communication"] = (Permissions.MessagingRead, Permissions.MessagingSend),
    };

    public static IReadOnlyCollection<string> SupportedResourceTypes => ResourcePermissions.Keys;

    /// <summary>Parses one scope; null when it is not a resource scope Meridian understands.</summary>
    public static (string Context, string Resource, string Interactions)? Parse(string scope)
    {
        var slash = scope.IndexOf('/');
        var dot = scope.LastIndexOf('.');
        if (slash <= 0 || dot <= slash + 1 || dot == scope.Length - 1) return null;
        var context = scope[..slash];
        if (context is not ("system" or "user" or "patient")) return null;
        var resource = scope[(slash + 1)..dot];
        var rest = scope[(dot + 1)..];
        var q = rest.IndexOf('?');
        if (q >= 0) rest = rest[..q]; // v2 fine-grained query suffix: Meridian grants the coarse scope only if listed exactly
        var interactions = rest switch
        {
            "read" => "rs",
            "write" => "cud",
            "*" => "cruds",
            _ when rest.Length > 0 && rest.All(c => "cruds".Contains(c)) && IsOrdered(rest) => rest,
            _ => null,
        };
        if (interactions is null) return null;
        if (resource != "*" && !ResourcePermissions.ContainsKey(resource)) return null;
        return (context, resource, interactions);
    }

    // SMART v2: the letters appear in the order c, r, u, d, s.
    private static bool IsOrdered(string s) => s.Select(c => "cruds".IndexOf(c)).Zip(s.Select(c => "cruds".IndexOf(c)).Skip(1)).All(p => p.First < p.Second);

    /// <summary>True when <paramref name="requested"/> is covered by one of the allowed scopes.</summary>
    public static bool IsAllowed(string requested, IEnumerable<string> allowed)
    {
        var r = Parse(requested);
        if (r is null) return false;
        foreach (var a in allowed)
        {
            var g = Parse(a);
            if (g is null || g.Value.Context != r.Value.Context) continue;
            if (g.Value.Resource != "*" && g.Value.Resource != r.Value.Resource) continue;
            if (r.Value.Interactions.All(c => g.Value.Interactions.Contains(c))) return true;
        }
        return false;
    }

    public static IReadOnlySet<string> PermissionsFor(IEnumerable<string> scopes)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in scopes)
        {
            if (Parse(s) is not { } p) continue;
            var resources = p.Resource == "*" ? ResourcePermissions.Keys.ToArray() : [p.Resource];
            foreach (var res in resources)
            {
                var (read, write) = ResourcePermissions[res];
                if (p.Interactions.IndexOfAny(['r', 's']) >= 0) result.Add(read);
                if (p.Interactions.IndexOfAny(['c', 'u', 'd']) >= 0) result.Add(write);
                // Merging two Patient records is an update of both; SMART has no scope of its own for it.
                if (res == "Patient" && p.Interactions.Contains('u')) result.Add(Permissions.PatientMerge);
                // Overriding a conflict is an update of the appointment; a user's token never exceeds the user's role.
                if (res == "Appointment" && p.Interactions.Contains('u')) result.Add(Permissions.ScheduleOverride);
            }
        }
        return result;
    }
}
