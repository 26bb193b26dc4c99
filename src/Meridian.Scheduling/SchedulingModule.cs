using Meridian.Fhir.Contracts;
using Meridian.Scheduling.Contracts;
using Meridian.Scheduling.Data;
using Meridian.Scheduling.Demo;
using Meridian.Scheduling.Domain;
using Meridian.Scheduling.Features.BookAppointment;
using Meridian.Scheduling.Features.Calendar;
using Meridian.Scheduling.Features.CalendarFeed;
using Meridian.Scheduling.Features.CheckIn;
using Meridian.Scheduling.Features.Eligibility;
using Meridian.Patients.Contracts;
using Meridian.X12.Clearinghouse;
using Microsoft.Extensions.Configuration;
using Meridian.Scheduling.Features.FlowBoard;
using Meridian.Scheduling.Features.ChangeAppointment;
using Meridian.Scheduling.Features.FindAvailable;
using Meridian.Scheduling.Features.Fhir;
using Meridian.Scheduling.Features.GetAppointment;
using Meridian.Scheduling.Features.Reminders;
using Meridian.Scheduling.Features.Setup;
using Meridian.Scheduling.Features.Waitlist;
using Meridian.Messaging.Contracts;
using Meridian.SharedKernel.Data;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meridian.Scheduling;

/// <summary>Calendars, availability, booking, the day's flow. Reads patients and coverage only through the Patients contract.</summary>
public static class SchedulingModule
{
    public static IServiceCollection AddSchedulingModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDbContext<SchedulingDbContext>((sp, o) => o.UseMeridianDatabase(sp.GetRequiredService<DatabaseOptions>()));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ScheduleChanges>();
        services.AddScoped<SchedulingStore>();
        services.AddScoped<AppointmentViews>();
        services.AddScoped<IAppointmentBook, AppointmentBook>();
        services.AddScoped<BookAppointmentHandler>();
        services.AddScoped<RescheduleAppointmentHandler>();
        services.AddScoped<CancelAppointmentHandler>();
        services.AddScoped<GetAppointmentHandler>();
        services.AddScoped<CalendarHandler>();
        services.AddScoped<FindNextAvailableHandler>();
        services.AddScoped<ManageSetupHandler>();
        services.AddScoped<CheckInHandler>();
        services.AddScoped<CalendarFeedHandler>();
        services.AddScoped<MoveOnFlowBoardHandler>();
        services.AddScoped<FlowBoardHandler>();
        // Eligibility (X12 270/271) through the configured clearinghouse; the local simulator unless Meridian:Clearinghouse:Mode says otherwise.
        services.Configure<EligibilityOptions>(configuration.GetSection("Meridian:Eligibility"));
        services.AddClearinghouse(configuration.GetSection("Meridian:Clearinghouse"));
        services.AddScoped<CheckEligibilityHandler>();
        services.AddSingleton<NightlyEligibilityRun>();
        services.AddHostedService(sp => sp.GetRequiredService<NightlyEligibilityRun>());
        services.AddScoped<IChartHeaderContributor, SchedulingChartHeader>();
        services.AddScoped<ManageTemplatesHandler>();
        // FHIR Schedule, Slot and Appointment are rendered here, where the data lives (decision 0010).
        services.AddFhirResourceProvider<ScheduleFhirProvider>(ScheduleFhirProvider.Type);
        services.AddFhirResourceProvider<SlotFhirProvider>(SlotFhirProvider.Type);
        services.AddFhirResourceProvider<AppointmentFhirProvider>(AppointmentFhirProvider.Type);
        services.AddOptions<SchedulingMessagesOptions>().BindConfiguration(SchedulingMessagesOptions.Section);

        // Waitlist: the opening is recorded inside the cancellation's transaction; the offerer does the rest in the background.
        services.AddSingleton<WaitlistSignal>();
        services.AddScoped<IOpeningListener, RecordOpening>();
        services.AddScoped<ManageWaitlistHandler>();
        services.AddScoped<WaitlistOffers>();
        services.AddScoped<RespondToOfferHandler>();
        services.AddScoped<IInboundMessageHandler, WaitlistOfferReplies>();
        services.AddSingleton<WaitlistOfferer>();
        services.AddHostedService(sp => sp.GetRequiredService<WaitlistOfferer>());

        // Reminders: rules, the scheduler, and the patient's answers (link and SMS reply).
        services.AddScoped<IOpeningListener, CancelPendingReminders>();
        services.AddScoped<ManageReminderRulesHandler>();
        services.AddScoped<ReminderRun>();
        services.AddScoped<ConfirmAppointmentHandler>();
        services.AddScoped<IInboundMessageHandler, ReminderReplies>();
        services.AddSingleton<ReminderScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<ReminderScheduler>());

        services.AddScoped<SchedulingDemoSeeder>();
        services.AddScoped<IDemoSeeder>(sp => sp.GetRequiredService<SchedulingDemoSeeder>());
        services.AddSingleton(new ModuleMigrations(SchedulingDbContext.Schema, typeof(SchedulingModule).Assembly, Order: 50));
        return services;
    }

    public static IEndpointRouteBuilder MapSchedulingModule(this IEndpointRouteBuilder app)
    {
        ManageSetupHandler.Map(app);
        ManageTemplatesHandler.Map(app);
        CalendarHandler.Map(app);
        FindNextAvailableHandler.Map(app);
        BookAppointmentHandler.Map(app);
        GetAppointmentHandler.Map(app);
        RescheduleAppointmentHandler.Map(app);
        CancelAppointmentHandler.Map(app);
        ManageWaitlistHandler.Map(app);
        RespondToOfferHandler.Map(app);
        ManageReminderRulesHandler.Map(app);
        ConfirmAppointmentHandler.Map(app);
        CheckInHandler.Map(app);
        CalendarFeedHandler.Map(app);
        MoveOnFlowBoardHandler.Map(app);
        FlowBoardHandler.Map(app);
        CheckEligibilityHandler.Map(app);
        return app;
    }
}
