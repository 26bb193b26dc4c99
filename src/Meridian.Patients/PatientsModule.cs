using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Patients;

public static class PatientsModule
{
    public static IServiceCollection AddPatientsModule(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapPatientsModule(this IEndpointRouteBuilder app) => app;
}
