using Meridian.X12.Eligibility;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meridian.X12.Clearinghouse;

public static class ClearinghouseServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IClearinghouse"/> and <see cref="EligibilityChecker"/> from a configuration section:
    /// <c>Mode</c> = <c>Simulator</c> (the default: <see cref="LocalClearinghouseSimulator"/>, with optional <c>Latency</c>)
    /// or <c>CoreHttp</c> (<see cref="CoreHttpClearinghouse"/> bound from the same section: Endpoint, Username, Password,
    /// SenderId, ReceiverId, Timeout). An unknown mode or incomplete CORE settings fail at start-up, not at the first check.
    /// </summary>
    public static IServiceCollection AddClearinghouse(this IServiceCollection services, IConfiguration section)
    {
        services.TryAddSingleton(TimeProvider.System);
        var mode = section["Mode"] ?? "Simulator";
        switch (mode)
        {
            case "Simulator":
                var simulator = section.Get<LocalClearinghouseSimulatorOptions>() ?? new LocalClearinghouseSimulatorOptions();
                services.AddSingleton<IClearinghouse>(sp => new LocalClearinghouseSimulator(sp.GetRequiredService<TimeProvider>(), simulator));
                break;
            case "CoreHttp":
                var core = section.Get<CoreHttpClearinghouseOptions>() ?? new CoreHttpClearinghouseOptions();
                core.Validate();
                services.AddHttpClient(nameof(CoreHttpClearinghouse), c => c.Timeout = core.Timeout + TimeSpan.FromSeconds(5));
                services.AddSingleton<IClearinghouse>(sp => new CoreHttpClearinghouse(
                    sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(CoreHttpClearinghouse)), core, sp.GetRequiredService<TimeProvider>()));
                break;
            default:
                throw new InvalidOperationException($"Clearinghouse Mode \"{mode}\" is not known: use Simulator or CoreHttp.");
        }
        services.AddSingleton<EligibilityChecker>();
        return services;
    }
}
