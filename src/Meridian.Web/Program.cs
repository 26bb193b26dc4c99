using Meridian.Audit;
using Meridian.Fhir;
using Meridian.Identity;
using Meridian.Messaging;
using Meridian.Patients;
using Meridian.Scheduling;
using Meridian.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddMeridianDatabase();
builder.Services.AddMeridianHost(builder.Configuration);
builder.Services.AddAuditModule();
builder.Services.AddIdentityModule(builder.Configuration);
builder.Services.AddPatientsModule();
builder.Services.AddFhirModule();
builder.Services.AddSchedulingModule(builder.Configuration);
builder.Services.AddMessagingModule(builder.Configuration);

var app = builder.Build();
if (await MeridianCommands.TryRunAsync(app, args)) return;
await app.PrepareDatabaseAsync();

app.UseMeridianPipeline();
app.MapAuditModule();
app.MapIdentityModule();
app.MapPatientsModule();
app.MapFhirModule();
app.MapSchedulingModule();
app.MapMessagingModule();
app.MapMeridianPages();
app.Run();

/// <summary>The entry point type, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
