using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;
using RecLoss.Cli.Commands;
using RecLoss.Core.Data;
using RecLoss.Core.Training;

namespace RecLoss.Cli;

/// <summary>What a verb's handler gets besides its options.</summary>
internal sealed record VerbContext(TextWriter Output, TextWriter Error, bool Live, CancellationToken Cancellation, IReadOnlyList<string> Args);

/// <summary>One verb: its options (in help order), its help text and its handler.</summary>
/// <param name="Positionals">The name of the verb's positional arguments (for help), or null when it takes none.</param>
internal sealed record Verb(string Name, string Usage, string Summary, string Details, OptionSpec[] Options, Func<ArgumentReader, VerbContext, int> Run,
    string? Positionals = null);

/// <summary>
/// The command line on System.CommandLine: it tokenises (--name value, --name=value, @response files), offers help
/// (-h after any verb), --version and completion ([suggest] directive); RecLoss reads and checks the values itself so
/// that every message names the option, the value found and the range expected. Errors never show a stack trace.
/// </summary>
public static class CommandLine
{
    private const string Overview = "recloss: train, evaluate and compare implicit-feedback recommenders.";

    internal static readonly Verb[] Verbs =
    [
        DemoCommand.Verb, TrainCommand.Verb, EvaluateCommand.Verb, RecommendCommand.Verb, SimilarCommand.Verb, ServeCommand.Verb, LoadTestCommand.Verb, ExperimentCommand.Verb, ReportCommand.Verb, StatsCommand.Verb, BenchCommand.Verb,
        new("losses", "recloss losses", "the losses with their formulas, sources, defaults and options", "", [], (args, context) =>
        {
            context.Output.Write(LossArguments.Catalog());
            return ExitCodes.Success;
        }),
        new("encoders", "recloss encoders", "the encoders with their formulas, sources, defaults and options", "", [], (args, context) =>
        {
            context.Output.Write(EncoderArguments.Catalog());
            return ExitCodes.Success;
        }),
    ];

    /// <summary>Commands built by hand (not from options), listed here for their help text only.</summary>
    private static readonly Verb[] s_utilities =
    [
        new("help", "recloss help [command]", "this text, or the options of one command", "The same as 'recloss <command> -h'.", [], (_, _) => ExitCodes.Success),
        new("completion", "recloss completion [bash|zsh]", "print a shell script that completes commands, options and their values with Tab",
            "Load it with: eval \"$(recloss completion bash)\" (recloss must be on the PATH). The script asks recloss itself through System.CommandLine's [suggest] directive.", [], (_, _) => ExitCodes.Success),
    ];

    /// <summary>Every command that has a help text.</summary>
    private static IEnumerable<Verb> Described => Verbs.Concat(s_utilities);

    public static int Run(string[] args, TextWriter output, TextWriter error, bool live)
    {
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var verbose = new StrongBox<bool>(args.Contains("--verbose"));
        try
        {
            return Dispatch(args, output, error, live, cancellation.Token, verbose);
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
        catch (OutputException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.OutputError;
        }
        catch (TrainingDivergedException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.TrainingFailed;
        }
        catch (InvalidDataException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.DataError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The environment, not a bug: a full disk, a folder removed or made read-only while the run went on.
            error.WriteLine($"error: a file could not be read or written: {e.Message.TrimEnd('.')} (files already saved are whole: they are written to a temporary name, then renamed)");
            return ExitCodes.OutputError;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return ExitCodes.Cancelled;
        }
        catch (OutOfMemoryException e)
        {
            error.WriteLine($"error: out of memory ({e.Message}); lower --batch-size, --negatives or --dim, or use a machine with more memory");
            return ExitCodes.Internal;
        }
        catch (Exception e)
        {
            return Unexpected(error, e, verbose.Value);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>The catch-all: one line with the exception's type and message, never a raw trace unless asked for.</summary>
    internal static int Unexpected(TextWriter error, Exception e, bool verbose)
    {
        error.WriteLine($"error: unexpected {e.GetType().Name}: {Messages.Of(e)}");
        error.WriteLine(verbose ? e.ToString() : "  this is a bug in recloss; rerun with --verbose for the stack trace and report it");
        return ExitCodes.Internal;
    }

    /// <param name="verbose">Set from the parse, so that --verbose counts also from a response file.</param>
    private static int Dispatch(string[] args, TextWriter output, TextWriter error, bool live, CancellationToken cancellation, StrongBox<bool> verbose)
    {
        RootCommand root = Build(args, output, error, live, cancellation);
        if (args.Length == 0)
        {
            HelpText.Root(output, Verbs);
            return ExitCodes.UsageError;
        }
        ParseResult parse = root.Parse(args);
        verbose.Value |= parse.GetValue<bool>("--" + OptionCatalog.Verbose.Name);
        if (parse.Action is ParseErrorAction)
        {
            throw new UsageException(ParseErrors.Describe(parse, Verbs));
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    private static RootCommand Build(string[] args, TextWriter output, TextWriter error, bool live, CancellationToken cancellation)
    {
        var root = new RootCommand(Overview);
        foreach (Option option in root.Options)
        {
            if (option is HelpOption help)
            {
                help.Action = new SectionedHelp();
            }
            else if (option is VersionOption version)
            {
                version.Action = new PrintVersion();
            }
        }
        root.Options.Add(new Option<bool>("--" + OptionCatalog.Verbose.Name) { Description = OptionCatalog.Verbose.Description, Recursive = true });
        root.SetAction(_ =>
        {
            HelpText.Root(output, Verbs);
            return ExitCodes.UsageError;
        });
        var context = new VerbContext(output, error, live, cancellation, args);
        foreach (Verb verb in Verbs)
        {
            var command = new Command(verb.Name, verb.Summary);
            var options = new Dictionary<string, Option>(StringComparer.Ordinal);
            foreach (OptionSpec spec in verb.Options)
            {
                Option option = spec.IsFlag
                    ? new Option<bool>("--" + spec.Name) { Description = spec.Description, Arity = ArgumentArity.Zero }
                    : new Option<string>("--" + spec.Name) { Description = spec.Description, HelpName = spec.Value };
                string[] choices = Choices(spec);
                if (choices.Length > 0)
                {
                    option.CompletionSources.Add(_ => choices.Select(c => new CompletionItem(c)));
                }
                options.Add(spec.Name, option);
                command.Options.Add(option);
            }
            Argument<string[]>? positionals = null;
            if (verb.Positionals is not null)
            {
                positionals = new Argument<string[]>(verb.Positionals) { Arity = ArgumentArity.ZeroOrMore };
                command.Arguments.Add(positionals);
            }
            command.SetAction(parse => verb.Run(new ArgumentReader(Given(parse, options))
            {
                Positionals = positionals is null ? [] : parse.GetValue(positionals) ?? [],
            }, context));
            root.Subcommands.Add(command);
        }
        root.Subcommands.Add(HelpVerb(output));
        root.Subcommands.Add(CompletionScript.Command(output));
        return root;
    }

    /// <summary>The values Tab completion offers for an option: the losses, the samplers, or a "a|b|c" placeholder's.</summary>
    private static string[] Choices(OptionSpec spec) => spec.Name switch
    {
        "loss" => LossArguments.Names,
        "sampler" => ["uniform", "popularity", "in-batch", "hard"],
        _ => spec.Value is { } value && value.Contains('|') ? value.Split('|') : [],
    };

    /// <summary>The options the user gave (not defaults), by name; a flag's value is null.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> Given(ParseResult parse, Dictionary<string, Option> options)
    {
        foreach ((string name, Option option) in options)
        {
            if (parse.GetResult(option) is { Implicit: false } result)
            {
                if (result.IdentifierTokenCount > 1)
                {
                    throw new UsageException($"option --{name} is given {result.IdentifierTokenCount} times (give it once)");
                }
                yield return new(name, option is Option<string> text ? parse.GetValue(text) : null);
            }
        }
    }

    /// <summary>recloss help [verb]: the same text as -h.</summary>
    private static Command HelpVerb(TextWriter output)
    {
        var topic = new Argument<string?>("command") { Arity = ArgumentArity.ZeroOrOne, Description = "the command to describe" };
        var command = new Command("help", "this text, or the options of one command") { topic };
        command.SetAction(parse =>
        {
            string? name = parse.GetValue(topic);
            if (name is null)
            {
                HelpText.Root(output, Verbs);
                return ExitCodes.Success;
            }
            Verb verb = Described.FirstOrDefault(v => v.Name == name)
                ?? throw new UsageException($"help: '{ArgumentReader.Shorten(name)}' is not a command (expected {string.Join(", ", Described.Select(v => v.Name))})");
            HelpText.Verb(output, verb);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>-h / --help: the root overview, or one verb's options grouped by section.</summary>
    private sealed class SectionedHelp : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            Verb? verb = parse.CommandResult.Command is RootCommand ? null : Described.FirstOrDefault(v => v.Name == parse.CommandResult.Command.Name);
            if (verb is null)
            {
                HelpText.Root(output, Verbs);
            }
            else
            {
                HelpText.Verb(output, verb);
            }
            return ExitCodes.Success;
        }
    }

    /// <summary>--version: the version and the commit the binary was built from.</summary>
    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            parse.InvocationConfiguration.Output.WriteLine(BuildInfo.Describe());
            return ExitCodes.Success;
        }
    }
}
