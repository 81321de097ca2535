using System.Globalization;
using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Training;

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

    /// <summary>One row per (label, result): Recall, NDCG, Precision, HitRate, MRR at every K.</summary>
    public static void MetricsTable(TextWriter o, IReadOnlyList<(string Label, EvaluationResult Result)> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        IReadOnlyList<int> ks = rows[0].Result.Metrics.Select(m => m.K).ToArray();
        int labelWidth = Math.Max(10, rows.Max(r => r.Label.Length));
        var header = new List<string>();
        foreach (int k in ks)
        {
            header.AddRange(new[] { $"Recall@{k}", $"NDCG@{k}", $"Prec@{k}", $"Hit@{k}", $"MRR@{k}" });
        }
        o.WriteLine("  " + "".PadRight(labelWidth) + string.Concat(header.Select(h => h.PadLeft(10))));
        foreach ((string label, EvaluationResult result) in rows)
        {
            var cells = result.Metrics.SelectMany(m => new[] { m.Recall, m.Ndcg, m.Precision, m.HitRate, m.Mrr })
                .Select(v => v.ToString("F4", Invariant).PadLeft(10));
            o.WriteLine("  " + label.PadRight(labelWidth) + string.Concat(cells));
        }
    }
}

/// <summary>Renders training progress: a live bar on a terminal, one line per epoch otherwise.</summary>
internal sealed class ConsoleTrainingObserver(TextWriter progress, TextWriter output, bool live, int totalEpochs) : ITrainingObserver
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
        string line = string.Create(Invariant, $"epoch {r.Epoch,3}  loss {r.Loss:F5}  {r.TrainSeconds:F2}s");
        if (r.Validation is { } v)
        {
            line += string.Create(Invariant, $"  valid R@20 {Recall(v, 20)} N@20 {Ndcg(v, 20)}");
        }
        if (r.Test is { } t)
        {
            line += string.Create(Invariant, $"  test R@20 {Recall(t, 20)} N@20 {Ndcg(t, 20)} ({t.Seconds:F2}s eval)");
        }
        output.WriteLine(line);
        output.Flush();
    }

    private static string Recall(EvaluationResult e, int k) => e.Metrics.FirstOrDefault(m => m.K == k) is { } m ? m.Recall.ToString("F4", Invariant) : "-";

    private static string Ndcg(EvaluationResult e, int k) => e.Metrics.FirstOrDefault(m => m.K == k) is { } m ? m.Ndcg.ToString("F4", Invariant) : "-";
}
