using Meridian.Messaging.Contracts;
using Meridian.Messaging.Data;
using Meridian.Messaging.Features.LocalMailbox;
using Meridian.Messaging.Features.Outbox;
using Meridian.Messaging.Features.ReceiveReplies;
using Meridian.Messaging.Features.SendEmail;
using Meridian.Messaging.Features.SendMessages;
using Meridian.Messaging.Features.SendSms;
using Meridian.Messaging.Features.SmsSimulator;
using Meridian.Messaging.Features.ViewMessages;
using Meridian.SharedKernel.Data;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Meridian.Messaging;

public static class MessagingModule
{
    public static IServiceCollection AddMessagingModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDbContext<MessagingDbContext>((sp, o) => o.UseMeridianDatabase(sp.GetRequiredService<DatabaseOptions>()));
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MessagingOptions>()
            .Bind(configuration.GetSection(MessagingOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>();

        services.AddSingleton<SendSignal>();
        services.AddScoped<MessageOutbox>();
        services.AddScoped<IMessageOutbox>(sp => sp.GetRequiredService<MessageOutbox>());
        services.AddSingleton<MessageSender>();
        services.AddHostedService(sp => sp.GetRequiredService<MessageSender>());

        // Transports: demo mode and an unconfigured SMTP host use the local simulators; see MessagingOptions.
        services.AddScoped<SmtpEmailTransport>();
        services.AddScoped<LocalMailboxSimulator>();
        services.AddScoped<IEmailTransport>(sp =>
            sp.GetRequiredService<IOptions<MessagingOptions>>().Value.UsesLocalMailbox(sp.GetRequiredService<MeridianMode>().Demo)
                ? sp.GetRequiredService<LocalMailboxSimulator>()
                : sp.GetRequiredService<SmtpEmailTransport>());
        services.AddScoped<SmsGatewaySimulator>();
        // A host that brings its own gateway adapter registers ISmsGateway before this module; otherwise the simulator
        // (demo, or Sms:Gateway=Simulator) or a gateway that fails every text with the reason.
        services.TryAddScoped<ISmsGateway>(sp =>
            sp.GetRequiredService<IOptions<MessagingOptions>>().Value.UsesSmsSimulator(sp.GetRequiredService<MeridianMode>().Demo)
                ? sp.GetRequiredService<SmsGatewaySimulator>()
                : new UnconfiguredSmsGateway());

        services.AddScoped<InboundPipeline>();
        services.AddScoped<ViewMessagesHandler>();
        services.AddScoped<SmsSimulatorHandler>();
        services.AddScoped<LocalMailboxHandler>();
        // After Patients (30): a message stores a patient id, never a foreign key into the patients schema.
        services.AddSingleton(new ModuleMigrations(MessagingDbContext.Schema, typeof(MessagingModule).Assembly, Order: 60));
        return services;
    }

    public static IEndpointRouteBuilder MapMessagingModule(this IEndpointRouteBuilder app)
    {
        ViewMessagesHandler.Map(app);
        SmsSimulatorHandler.Map(app);
        LocalMailboxHandler.Map(app);
        return app;
    }
}

/// <summary>Names every bad messaging setting at start, instead of failing on the first message.</summary>
internal sealed class MessagingOptionsValidator(MeridianMode mode) : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        var errors = options.Validate(mode.Demo).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
