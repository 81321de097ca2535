using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using RecLoss.Core.Data;
using RecLoss.Core.Models;
using RecLoss.Serving;

namespace RecLoss.Cli.Commands;

/// <summary>recloss serve: the HTTP service over a saved model (src/RecLoss.Serving).</summary>
internal static class ServeCommand
{
    public static Verb Verb => new("serve", "recloss serve --model PATH [--port 5000]", "serve recommendations over HTTP",
        "Routes: GET /users/{id}/recommendations?k=&exclude=, POST /recommendations {\"history\": [...]}, GET /items/{id}/similar?k=, GET /health, GET /model, POST /admin/reload, and the OpenAPI document at /openapi/v1.json. Replacing the model file reloads it; a file that fails to load is refused and the old model keeps serving. Stop with Ctrl+C.",
        [ModelArguments.Model,
         new("port", "N", Section.Query, "TCP port, 0 to 65535 (default 5000; 0 picks a free port)"),
         new("any-address", null, Section.Query, "listen on every network interface (default: the loopback address 127.0.0.1 only)"),
         new("no-watch", null, Section.Query, "do not reload when the model file changes (POST /admin/reload still does)")],
        Run);

    private static int Run(ArgumentReader args, VerbContext context)
    {
        var options = new ServeOptions
        {
            ModelPath = ModelArguments.Path(args),
            Port = args.Int("port", 5000, 0, 65535),
            AnyAddress = args.Flag("any-address"),
            Watch = !args.Flag("no-watch"),
        };
        args.EnsureAllUsed("serve");
        WebApplication app;
        try
        {
            app = ServingApp.Build(options);
        }
        catch (ModelFileException e)
        {
            throw ModelArguments.AsDataError(options.ModelPath, e);
        }
        catch (FormatException e)
        {
            throw new DataFormatException(options.ModelPath, 0, e.Message);
        }
        try
        {
            app.StartAsync(context.Cancellation).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new UsageException($"--port {options.Port}: cannot listen ({e.Message.TrimEnd('.')}); choose another port");
        }
        context.Output.WriteLine($"serving {options.ModelPath} on {string.Join(", ", app.Urls)} (Ctrl+C stops)");
        context.Output.Flush();
        // Until Ctrl+C (our token) or SIGTERM (the host's own lifetime stops the application).
        try
        {
            app.WaitForShutdownAsync(context.Cancellation).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        app.StopAsync().GetAwaiter().GetResult();
        context.Output.WriteLine("stopped");
        return ExitCodes.Success;
    }
}
