using System.Reflection;

namespace Meridian.Web.Components;

/// <summary>Modules whose pages (Features/*/*.razor) the router serves. Listed explicitly, like the module registrations.</summary>
internal static class ModuleAssemblies
{
    public static readonly Assembly[] Pages =
    [
        typeof(Meridian.Identity.IdentityModule).Assembly,
        typeof(Meridian.Audit.AuditModule).Assembly,
        typeof(Meridian.Patients.PatientsModule).Assembly,
        typeof(Meridian.Scheduling.SchedulingModule).Assembly,
        typeof(Meridian.Messaging.MessagingModule).Assembly,
    ];
}
