using System.Globalization;
using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Training;
using Spectre.Console;

namespace RecLoss.Cli;

/// <summary>Text rendering of statistics, metrics tables and notes.</summary>
internal static class Render
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Statistics(TextWriter o, DatasetStatistics s)
    {
        o.WriteLine(string.Create(Invariant, $"data: {s.Name}"));
        o.WriteLine(string.Create(Invariant, $"  users         {s.Users,12:N0}"));
        o.WriteLine(string.Create(Invariant, $"  items         {s.Items,12:N0}"));
        o.WriteLine(string.Create(Invariant, $"  interactions  {s.Interactions,12:N0}"));
        o.WriteLine(string.Create(Invariant, $"  density       {s.Density,12:F5}"));
        o.WriteLine();
        o.WriteLine("  split         interactions   users>0   items>0   min/user   mean/user   max/user");
        foreach (SplitStatistics x in s.Splits)
        {
            o.WriteLine(string.Create(Invariant,
                $"  {x.Name,-12} {x.Interactions,13:N0} {x.UsersWithItems,9:N0} {x.DistinctItems,9:N0} {x.MinPerUser,10:N0} {x.MeanPerUser,11:F2} {x.MaxPerUser,10:N0}"));
        }
    }

    public static void Notes(TextWriter o, DataReport report)
    {
        if (report.Notes.Count == 0)
        {
            return;
        }
        o.WriteLine();
        o.WriteLine("notes on the input (legal, reported rather than fixed):");
        foreach (string note in report.Notes)
        {
            o.WriteLine($"  - {note}");
        }
    }

    /// <summary>
    /// One row per (label, K): Recall, NDCG, Precision, HitRate and MRR, so the table stays within 100 columns for any
    /// number of cut-offs; a result over no users reads "n/a (0 users)" rather than zeros.
    /// </summary>
    public static void MetricsTable(TextWriter o, IReadOnlyList<(string Label, EvaluationResult Result)> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        var table = new Table().Border(TableBorder.Markdown);
        table.AddColumn(new TableColumn("result").NoWrap());
        foreach (string name in new[] { "epoch", "K", "Recall", "NDCG", "Prec", "Hit", "MRR" })
        {
            table.AddColumn(new TableColumn(name).RightAligned().NoWrap());
        }
        foreach ((string label, EvaluationResult result) in rows)
        {
            // "best-validation (epoch 7)" -> label and epoch in their own columns.
            int open = label.LastIndexOf(" (epoch ", StringComparison.Ordinal);
            string name = open < 0 ? label : label[..open];
            string epoch = open < 0 ? "" : label[(open + 8)..].TrimEnd(')');
            if (result.Users == 0)
            {
                table.AddRow(Markup.Escape(name), epoch, "", "n/a (0 users)", "", "", "", "");
                continue;
            }
            for (int i = 0; i < result.Metrics.Count; i++)
            {
                MetricsAtK m = result.Metrics[i];
                table.AddRow([i == 0 ? Markup.Escape(name) : "", i == 0 ? epoch : "", m.K.ToString(Invariant),
                    .. new[] { m.Recall, m.Ndcg, m.Precision, m.HitRate, m.Mrr }.Select(v => v.ToString("F4", Invariant))]);
            }
        }
        var text = new StringWriter();
        Console(text).Write(table);
        foreach (string line in text.ToString().Split('\n'))
        {
            if (line.Trim().Length > 0)
            {
                o.WriteLine(line.TrimEnd());
            }
        }
    }

    /// <summary>A Spectre console over a writer: no colours or cursor codes, 100 columns; tables are Markdown, to paste into notes.</summary>
    private static IAnsiConsole Console(TextWriter o)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(o),
        });
        // Wide enough that Spectre never wraps a cell; the table itself keeps to 100 columns for K below 1,000.
        console.Profile.Width = 160;
        console.Profile.Capabilities.Unicode = false;
        return console;
    }
}

/// <summary>Renders training progress: a live bar on a terminal, one line per epoch otherwise.</summary>
/// <param name="k">The K whose Recall and NDCG each epoch's line shows (the selection K).</param>
internal sealed class ConsoleTrainingObserver(TextWriter progress, TextWriter output, bool live, int totalEpochs, int k) : ITrainingObserver
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public void OnBatch(in BatchProgress p)
    {
        if (!live)
        {
            return;
        }
        const int width = 24;
        int filled = (int)((long)width * p.Batch / p.Batches);
        double rate = p.Rows / Math.Max(p.Seconds, 1e-9);
        double eta = (p.Batches - p.Batch) * (p.Seconds / p.Batch);
        progress.Write(string.Create(Invariant,
            $"\r  epoch {p.Epoch}/{totalEpochs} [{new string('#', filled)}{new string('.', width - filled)}] {p.Batch}/{p.Batches} loss {p.MeanLoss:F4} {rate / 1000:F1}k rows/s ETA {eta:F0}s   "));
        progress.Flush();
    }

    public void OnEpoch(EpochRecord r)
    {
        if (live)
        {
            progress.Write("\r" + new string(' ', 110) + "\r");
        }
        string line = string.Create(Invariant, $"epoch {r.Epoch,3}  loss {r.Loss:F5}  {r.TrainSeconds:F2}s{(r.LearningRate is { } rate ? $"  lr {rate:G3}" : "")}");
        if (r.Validation is { } v)
        {
            line += v.Users == 0 ? "  valid n/a (0 users)" : string.Create(Invariant, $"  valid R@{k} {Recall(v, k)} N@{k} {Ndcg(v, k)}");
        }
        if (r.Test is { } t)
        {
            line += t.Users == 0 ? "  test n/a (0 users)" : string.Create(Invariant, $"  test R@{k} {Recall(t, k)} N@{k} {Ndcg(t, k)} ({t.Seconds:F2}s eval)");
        }
        output.WriteLine(line);
        output.Flush();
    }

    private static string Recall(EvaluationResult e, int k) => e.Metrics.FirstOrDefault(m => m.K == k) is { } m ? m.Recall.ToString("F4", Invariant) : "-";

    private static string Ndcg(EvaluationResult e, int k) => e.Metrics.FirstOrDefault(m => m.K == k) is { } m ? m.Ndcg.ToString("F4", Invariant) : "-";
}
