using RecLoss.Cli.Commands;
using RecLoss.Core.Data;
using RecLoss.Core.Training;

namespace RecLoss.Cli;

/// <summary>Dispatches a verb; user errors print one clear line and a non-zero exit code, never a stack trace.</summary>
public static class CommandLine
{
    private const string Usage = """
        recloss: train, evaluate and compare implicit-feedback recommenders.

        usage: recloss <command> [options]
          demo     train MF + MML on generated data and compare with most-popular (no files needed)
          train    train and evaluate on a data set (recloss help train)
          stats    data set statistics (recloss help stats)
          bench    seconds per epoch, throughput, evaluation time and memory (recloss help bench)
          losses   the losses with their formulas, sources, defaults and options
          help     this text, or 'recloss help <command>'
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error, bool live)
    {
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            if (args.Length == 0)
            {
                output.WriteLine(Usage);
                return ExitCodes.UsageError;
            }
            string verb = args[0];
            var rest = args.Skip(1).ToArray();
            var flags = new HashSet<string>(LossArguments.Flags) { "exclude-positives", "skip-machine" };
            switch (verb)
            {
                case "demo":
                    return DemoCommand.Run(new ArgumentReader(rest, flags), output, error, live, cancellation.Token);
                case "train":
                    return TrainCommand.Run(new ArgumentReader(rest, flags), output, error, live, cancellation.Token);
                case "bench":
                    return BenchCommand.Run(new ArgumentReader(rest, flags), output, cancellation.Token);
                case "stats":
                    return StatsCommand.Run(new ArgumentReader(rest, flags), output);
                case "losses":
                    new ArgumentReader(rest, flags).EnsureAllUsed("losses");
                    output.Write(LossArguments.Catalog());
                    return ExitCodes.Success;
                case "help" or "--help" or "-h":
                    output.WriteLine(rest.FirstOrDefault() switch
                    {
                        "train" => TrainCommand.Help,
                        "stats" => StatsCommand.Help,
                        "demo" => DemoCommand.Help,
                        "bench" => BenchCommand.Help,
                        _ => Usage,
                    });
                    return ExitCodes.Success;
                default:
                    error.WriteLine($"error: unknown command '{verb}' (expected demo, train, stats, bench, losses or help)");
                    return ExitCodes.UsageError;
            }
        }
        catch (UsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.UsageError;
        }
        catch (DataFormatException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.DataError;
        }
        catch (TrainingDivergedException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.TrainingFailed;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return ExitCodes.Cancelled;
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.UsageError;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
