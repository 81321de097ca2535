using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RecLoss.Serving;

/// <summary>How `recloss serve` runs.</summary>
public sealed record ServeOptions
{
    public required string ModelPath { get; init; }

    /// <summary>The port on the loopback address (default 5000); 0 picks a free one.</summary>
    public int Port { get; init; } = 5000;

    /// <summary>Listen on every interface instead of the loopback address only.</summary>
    public bool AnyAddress { get; init; }

    /// <summary>Reload when the model file changes on disk (default true).</summary>
    public bool Watch { get; init; } = true;

    /// <summary>Request bodies above this are refused with 413 (default 1 MiB).</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Log level of ASP.NET Core's own messages (default Warning: no line per request).</summary>
    public LogLevel FrameworkLogLevel { get; init; } = LogLevel.Warning;
}

/// <summary>
/// The HTTP service over a saved model: ASP.NET Core minimal API, problem+json errors, an OpenAPI document at
/// /openapi/v1.json. The model lives in a <see cref="ModelHost"/> that swaps it atomically on reload.
/// </summary>
public static class ServingApp
{
    /// <param name="configure">Called on the builder before it is built (tests plug in the test server here).</param>
    /// <exception cref="Core.Models.ModelFileException">The model file cannot be loaded.</exception>
    public static WebApplication Build(ServeOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", options.FrameworkLogLevel);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.AddServerHeader = false;
            if (options.AnyAddress)
            {
                kestrel.Listen(IPAddress.Any, options.Port);
            }
            else
            {
                kestrel.Listen(IPAddress.Loopback, options.Port);
            }
        });
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServingJson.Default));
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        configure?.Invoke(builder);

        var host = new ModelHost(options.ModelPath, LoggerFactory.Create(l => l.AddSimpleConsole(c => c.SingleLine = true)).CreateLogger("recloss.serve"), options.Watch);
        builder.Services.AddSingleton(host);
        WebApplication app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        Endpoints.Map(app, host);
        app.Lifetime.ApplicationStopped.Register(host.Dispose);
        return app;
    }
}
