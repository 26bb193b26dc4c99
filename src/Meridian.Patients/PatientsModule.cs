using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Demo;
using Meridian.Patients.Features.AddCoverage;
using Meridian.Patients.Features.ChartHeader;
using Meridian.Patients.Features.DeactivateCoverage;
using Meridian.Patients.Features.GetPatient;
using Meridian.Patients.Features.MergePatients;
using Meridian.Patients.Features.PatientTypeahead;
using Meridian.Patients.Features.RegisterPatient;
using Meridian.Patients.Features.ReviewMerges;
using Meridian.Patients.Features.SearchPatients;
using Meridian.Patients.Features.UpdateCoverage;
using Meridian.Patients.Features.UpdatePatient;
using Meridian.SharedKernel.Data;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meridian.Patients;

public static class PatientsModule
{
    public static IServiceCollection AddPatientsModule(this IServiceCollection services)
    {
        services.AddDbContext<PatientsDbContext>((sp, o) => o.UseMeridianDatabase(sp.GetRequiredService<DatabaseOptions>()));
        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<PatientStore>();
        services.AddSingleton<MrnReservations>();
        services.AddScoped<DuplicateDetector>();
        services.AddScoped<RegisterPatientHandler>();
        services.AddScoped<GetPatientHandler>();
        services.AddScoped<UpdatePatientHandler>();
        services.AddScoped<SearchPatientsHandler>();
        services.AddScoped<SearchResultExtras>();
        services.AddScoped<PatientTypeaheadHandler>();
        services.AddScoped<AddCoverageHandler>();
        services.AddScoped<UpdateCoverageHandler>();
        services.AddScoped<DeactivateCoverageHandler>();
        services.AddScoped<MergePatientsHandler>();
        services.AddScoped<ReviewMergesHandler>();
        services.AddScoped<ChartHeaderHandler>();
        services.AddScoped<IPatientDirectory, PatientDirectory>();
        services.AddScoped<PatientDemoSeeder>();
        services.AddScoped<IDemoSeeder>(sp => sp.GetRequiredService<PatientDemoSeeder>());
        // After the audit module (10): nothing here references audit tables, but the order keeps start-up logs readable.
        services.AddSingleton(new ModuleMigrations(PatientsDbContext.Schema, typeof(PatientsModule).Assembly, Order: 30));
        return services;
    }

    public static IEndpointRouteBuilder MapPatientsModule(this IEndpointRouteBuilder app)
    {
        // Literal routes first for readability; the {id:guid} constraint keeps them from colliding anyway.
        PatientTypeaheadHandler.Map(app);
        ReviewMergesHandler.Map(app);
        MergePatientsHandler.Map(app);
        SearchPatientsHandler.Map(app);
        RegisterPatientHandler.Map(app);
        GetPatientHandler.Map(app);
        UpdatePatientHandler.Map(app);
        ChartHeaderHandler.Map(app);
        AddCoverageHandler.Map(app);
        UpdateCoverageHandler.Map(app);
        DeactivateCoverageHandler.Map(app);
        return app;
    }
}
