namespace Meridian.SharedKernel.Security;

/// <summary>The staff roles. One role model covers clinical and administrative data alike.</summary>
public static class Roles
{
    public const string Administrator = nameof(Administrator);
    public const string Physician = nameof(Physician);
    public const string Nurse = nameof(Nurse);
    public const string FrontDesk = nameof(FrontDesk);
    public const string Biller = nameof(Biller);

    public static readonly IReadOnlyList<string> All = [Administrator, Physician, Nurse, FrontDesk, Biller];
}

/// <summary>
/// Named permissions checked on the server. Policies are permissions, not roles, so that a role's reach is
/// declared once (in <see cref="RolePermissions"/>) and SMART scopes map onto the same names.
/// </summary>
public static class Permissions
{
    public const string PatientRead = "patient.read";
    public const string PatientWrite = "patient.write";
    public const string PatientMerge = "patient.merge";
    public const string DirectoryRead = "directory.read";   // Organization, Practitioner, Location
    public const string DirectoryWrite = "directory.write";
    public const string AuditRead = "audit.read";
    public const string UserAdmin = "user.admin";
    public const string ScheduleRead = "schedule.read";          // calendars, appointments, flow board, waitlist
    public const string ScheduleWrite = "schedule.write";        // book, reschedule, cancel, check in, move on the flow board
    public const string ScheduleOverride = "schedule.override";  // book over a conflict or outside availability (audited)
    public const string ScheduleAdmin = "schedule.admin";        // providers, rooms, appointment types, templates, reminder rules
    public const string MessagingRead = "messaging.read";     // outbound messages, their delivery history, inbound replies
    public const string MessagingSend = "messaging.send";     // feed a patient's reply into the SMS simulator (demo)
    public const string MessagingAdmin = "messaging.admin";   // the local mailbox simulator's rendered mail

    public static readonly IReadOnlyList<string> All =
        [PatientRead, PatientWrite, PatientMerge, DirectoryRead, DirectoryWrite, AuditRead, UserAdmin,
         ScheduleRead, ScheduleWrite, ScheduleOverride, ScheduleAdmin, MessagingRead, MessagingSend, MessagingAdmin];
}

public static class RolePermissions
{
    private static readonly Dictionary<string, string[]> Map = new(StringComparer.Ordinal)
    {
        [Roles.Administrator] = [.. Permissions.All],
        // A physician may double-book their own day; the front desk asks a physician or administrator to.
        [Roles.Physician] = [Permissions.PatientRead, Permissions.PatientWrite, Permissions.DirectoryRead,
            Permissions.ScheduleRead, Permissions.ScheduleWrite, Permissions.ScheduleOverride],
        [Roles.Nurse] = [Permissions.PatientRead, Permissions.PatientWrite, Permissions.DirectoryRead,
            Permissions.ScheduleRead, Permissions.ScheduleWrite],
        [Roles.FrontDesk] = [Permissions.PatientRead, Permissions.PatientWrite, Permissions.PatientMerge, Permissions.DirectoryRead,
            Permissions.ScheduleRead, Permissions.ScheduleWrite, Permissions.MessagingRead, Permissions.MessagingSend],
        [Roles.Biller] = [Permissions.PatientRead, Permissions.DirectoryRead, Permissions.ScheduleRead],
    };

    public static IReadOnlyList<string> For(string role) => Map.TryGetValue(role, out var p) ? p : [];
}

/// <summary>Claim types Meridian puts on every authenticated principal (cookie or token).</summary>
public static class MeridianClaims
{
    public const string Permission = "meridian:permission";
    public const string ClientId = "client_id";
    public const string Scope = "scope";
}
