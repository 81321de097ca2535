using System.Globalization;
using System.Text;
using System.Text.Json;
using RecLoss.Core;
using RecLoss.Core.Data;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Serving;

namespace RecLoss.Cli.Commands;

/// <summary>recloss recommend: the top K items of a user, of many users, of every user, or of a new user's history.</summary>
internal static class RecommendCommand
{
    public static Verb Verb => new("recommend", "recloss recommend --model PATH (--user ID | --users FILE | --all | --history ID,...) [options]",
        "recommend items with a saved model",
        "Ids are the data's own, in and out. One user (--user, --history) prints a table; many (--users, --all) stream CSV (user,rank,item,score) or JSON lines, scored 64 users at a time in bounded memory. Fewer than K items come with the reason.",
        [ModelArguments.Model,
         new("user", "ID", Section.Query, "a user of the model"),
         new("users", "FILE", Section.Query, "users of the model, one id per line"),
         new("all", null, Section.Query, "every user of the model"),
         new("history", "ID,...", Section.Query, "a new user, by the items she interacted with (SimpleX: its aggregator; other models: one row fitted with the model's loss)"),
         ModelArguments.K,
         new("exclude", "seen|none", Section.Query, "leave out the user's train items (seen, default) or nothing; with --history, seen leaves out the history"),
         new("allow", "FILE", Section.Query, "recommend only these items (one id per line)"),
         new("deny", "FILE", Section.Query, "never recommend these items (one id per line)"),
         new("format", "table|csv|jsonl", Section.Query, "output format (default: table for one user, csv for many)"),
         new("output", "FILE", Section.Query, "write to FILE (through a temporary file) instead of standard output"),
         new("threads", "N", Section.Query, "worker threads for many users, 0 = all cores (default 0)")],
        Run);

    private static int Run(ArgumentReader args, VerbContext context)
    {
        string modelPath = ModelArguments.Path(args);
        string? user = args.String("user"), users = args.String("users"), history = args.String("history");
        bool all = args.Flag("all");
        int given = (user is null ? 0 : 1) + (users is null ? 0 : 1) + (history is null ? 0 : 1) + (all ? 1 : 0);
        if (given != 1)
        {
            throw new UsageException(given == 0
                ? "say whose recommendations: --user ID, --users FILE, --all, or --history ID,... for a new user"
                : "give only one of --user, --users, --all and --history");
        }
        int k = ModelArguments.ReadK(args);
        string exclude = args.String("exclude", "seen");
        if (exclude is not ("seen" or "none"))
        {
            throw new UsageException($"--exclude: '{ArgumentReader.Shorten(exclude)}' is not seen or none");
        }
        bool many = users is not null || all;
        string format = args.String("format", many ? "csv" : "table");
        if (format is not ("table" or "csv" or "jsonl"))
        {
            throw new UsageException($"--format: '{ArgumentReader.Shorten(format)}' is not table, csv or jsonl");
        }
        if (many && format == "table")
        {
            throw new UsageException("--format table prints one user; for --users or --all use csv or jsonl");
        }
        int threads = args.Int("threads", 0, 0, 1024);
        string? outputPath = args.String("output");
        TrainedModel model = ModelArguments.Load(modelPath);
        var options = new RecommendOptions
        {
            K = k,
            ExcludeSeen = exclude == "seen",
            Allow = ModelArguments.ItemSet(args, "allow", model, context.Error),
            Deny = ModelArguments.ItemSet(args, "deny", model, context.Error),
        };
        args.EnsureAllUsed("recommend");

        var recommender = new Recommender(model);
        return WithOutput(outputPath, context, writer =>
        {
            if (history is not null)
            {
                int[] items = [.. history.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(id => ModelArguments.Item(model, id, "--history"))];
                if (items.Length == 0)
                {
                    throw new UsageException("--history: no item ids (expected a comma-separated list of the model's item ids)");
                }
                FoldIn foldIn;
                float[] vector;
                try
                {
                    foldIn = new FoldIn(model);
                    vector = foldIn.UserVector(items);
                }
                catch (FormatException e)
                {
                    throw new DataFormatException(modelPath, 0, $"cannot score a new user: {e.Message}");
                }
                catch (ArgumentException e)
                {
                    throw new UsageException($"--history: {e.Message}");
                }
                int[] excluded = options.ExcludeSeen ? [.. items.Distinct().Order()] : [];
                Write(writer, format, "(new user)", model, recommender.ForVector(vector, excluded, options), header: true);
                context.Error.WriteLine($"note: a new user scored by the model's {(foldIn.Method == "aggregator" ? "SimpleX aggregator" : $"loss, one row fitted in {FoldIn.Steps} steps")} from {items.Distinct().Count()} items");
                return;
            }
            if (user is not null)
            {
                int index = ModelArguments.User(model, user, "--user");
                Write(writer, format, user, model, recommender.ForUser(index, options), header: true);
                return;
            }
            List<int> indices = all ? [.. Enumerable.Range(0, model.Users.Count)] : ModelArguments.Lookup(users!, "users", model.Users, "users", context.Error);
            bool first = true;
            int done = 0;
            recommender.ForUsers(indices, options, new ParallelRunner(threads), (index, result) =>
            {
                Write(writer, format, model.Users[index], model, result, header: first);
                first = false;
                if (context.Live && ++done % 1024 == 0)
                {
                    context.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r  {done:N0} / {indices.Count:N0} users"));
                }
            }, context.Cancellation);
            if (context.Live)
            {
                context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\r  {indices.Count:N0} / {indices.Count:N0} users"));
            }
        });
    }

    private static void Write(TextWriter o, string format, string user, TrainedModel model, Recommendations r, bool header)
    {
        switch (format)
        {
            case "table":
                o.WriteLine($"top {r.Items.Count} for user '{user}':");
                o.WriteLine(" rank  item                              score");
                for (int i = 0; i < r.Items.Count; i++)
                {
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture, $" {i + 1,4}  {model.Items[r.Items[i].Item],-30}  {r.Items[i].Score,9:F5}"));
                }
                if (r.Shortfall is not null)
                {
                    o.WriteLine($"fewer than asked: {r.Shortfall}");
                }
                break;
            case "csv":
                if (header)
                {
                    o.WriteLine("user,rank,item,score");
                }
                for (int i = 0; i < r.Items.Count; i++)
                {
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Csv(user)},{i + 1},{Csv(model.Items[r.Items[i].Item])},{r.Items[i].Score:R}"));
                }
                break;
            default:
                o.WriteLine(JsonSerializer.Serialize(new
                {
                    user,
                    items = r.Items.Select(i => new { item = model.Items[i.Item], score = i.Score }),
                    shortfall = r.Shortfall,
                }));
                break;
        }
    }

    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";

    /// <summary>Runs <paramref name="write"/> on standard output, or on a temporary file renamed to <paramref name="path"/> when it succeeds.</summary>
    internal static int WithOutput(string? path, VerbContext context, Action<TextWriter> write)
    {
        if (path is null)
        {
            write(context.Output);
            return ExitCodes.Success;
        }
        try
        {
            AtomicFile.Write(path, stream =>
            {
                using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
                write(writer);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException($"--output: could not write '{path}' ({e.Message.TrimEnd('.')}); any earlier file there is unchanged");
        }
        return ExitCodes.Success;
    }
}
