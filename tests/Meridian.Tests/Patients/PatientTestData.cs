using System.Net;
using System.Text.Json;
using Meridian.Audit.Contracts;
using Meridian.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Tests.Patients;

/// <summary>Request bodies as a client would send them (plain JSON shapes), unique per test so tests share a database safely.</summary>
internal static class PatientTestData
{
    private static readonly Random Random = new();

    public static string UniqueFamily(string stem = "Zeta")
    {
        lock (Random) return stem + new string(Enumerable.Range(0, 8).Select(_ => (char)('a' + Random.Next(26))).ToArray());
    }

    public static DateOnly UniqueBirthDate()
    {
        lock (Random) return new DateOnly(1930, 1, 1).AddDays(Random.Next(0, 30_000));
    }

    public static string UniquePhone()
    {
        lock (Random) return $"({Random.Next(201, 989)}) {Random.Next(200, 999)}-{Random.Next(1000, 9999)}";
    }

    public static string UniqueMemberId()
    {
        lock (Random) return "W" + Random.Next(100_000_000, 999_999_999);
    }

    public static Dictionary<string, object?> Patient(string family, string given, DateOnly birthDate, string gender = "female",
        string? phone = null, string? email = null) => new()
    {
        ["legalName"] = new { family, given = new[] { given } },
        ["birthDate"] = birthDate.ToString("yyyy-MM-dd"),
        ["gender"] = gender,
        ["birthSex"] = gender == "female" ? "F" : "M",
        ["preferredLanguage"] = new { system = "urn:ietf:bcp:47", code = "en" },
        ["race"] = new[] { new { system = "urn:oid:2.16.840.1.113883.6.238", code = "2106-3", display = "White" } },
        ["addresses"] = new[] { new { lines = new[] { "12 Elm Street" }, city = "Springfield", state = "IL", postalCode = "62701" } },
        ["telecom"] = new List<object>
        {
            new { system = "phone", value = phone ?? UniquePhone(), use = "mobile", rank = 1 },
            new { system = "email", value = email ?? "someone@example.org" },
        },
    };

    public static Dictionary<string, object?> Coverage(int rank = 1, string? memberId = null, string payer = "Aetna",
        string? start = "2025-01-01", string? end = null) => new()
    {
        ["rank"] = rank,
        ["payerName"] = payer,
        ["payerId"] = "60054",
        ["planName"] = "Aetna Choice POS II",
        ["memberId"] = memberId ?? UniqueMemberId(),
        ["groupNumber"] = "123456",
        ["subscriberRelationship"] = "self",
        ["effectiveStart"] = start,
        ["effectiveEnd"] = end,
    };

    public static object Register(Dictionary<string, object?> patient, IEnumerable<object>? coverages = null, bool allowDuplicate = false) =>
        new { patient, coverages = coverages?.ToArray() ?? [], allowPossibleDuplicate = allowDuplicate };

    public static async Task<JsonElement> RegisterAsync(HttpClient client, Dictionary<string, object?> patient, IEnumerable<object>? coverages = null,
        bool allowDuplicate = false)
    {
        using var response = await client.PostJsonAsync("/api/patients", Register(patient, coverages, allowDuplicate));
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    public static Task<IReadOnlyList<AuditRecordView>> AuditForPatientAsync(MeridianApp app, string patientId) =>
        app.WithScopeAsync(async sp => (await sp.GetRequiredService<IAuditReader>().SearchAsync(new AuditQuery(PatientId: patientId, Count: 1000))).Items);

    public static Task<IReadOnlyList<AuditRecordView>> AuditAsync(MeridianApp app, string action, string resourceType = "Patient") =>
        app.WithScopeAsync(async sp => (await sp.GetRequiredService<IAuditReader>().SearchAsync(new AuditQuery(Action: action, ResourceType: resourceType, Count: 1000))).Items);

    /// <summary>Rows in a Patients table that match a condition, counted straight in the database (not through the API).</summary>
    public static async Task<long> CountRowsAsync(MeridianApp app, string table, string where, params (string Name, object Value)[] parameters)
    {
        var options = app.Services.GetRequiredService<Meridian.SharedKernel.Data.DatabaseOptions>();
        await using var connection = Meridian.SharedKernel.Data.DbConnections.Create(options);
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM {Meridian.SharedKernel.Data.ModuleDatabase.QualifiedTable(options.Provider, "patients", table)} WHERE {where}";
        foreach (var (name, value) in parameters) Meridian.SharedKernel.Data.MigrationRunner.AddParameter(cmd, name, value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}

/// <summary>
/// Runs handler code as a signed-in staff member of a role (the Blazor pages call handlers this way). Used for merge:
/// API tokens carry SMART scopes, and no SMART scope grants patient.merge, so merging is a session-only action.
/// </summary>
internal static class SignedIn
{
    public static async Task<T> AsAsync<T>(MeridianApp app, string role, Func<IServiceProvider, Task<T>> work)
    {
        var accessor = app.Services.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>();
        var identity = new System.Security.Claims.ClaimsIdentity(
            [new("meridian:user", "test-" + role), new(System.Security.Claims.ClaimTypes.Name, $"{role.ToLowerInvariant()}@test.meridian"), new("role", role)],
            "Test", System.Security.Claims.ClaimTypes.Name, "role");
        foreach (var p in Meridian.SharedKernel.Security.RolePermissions.For(role))
            identity.AddClaim(new(Meridian.SharedKernel.Security.MeridianClaims.Permission, p));
        accessor.HttpContext = new Microsoft.AspNetCore.Http.DefaultHttpContext { User = new(identity) };
        try
        {
            return await app.WithScopeAsync(work);
        }
        finally
        {
            accessor.HttpContext = null;
        }
    }
}
