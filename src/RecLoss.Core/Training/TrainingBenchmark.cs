using System.Diagnostics;
using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;

namespace RecLoss.Core.Training;

/// <summary>End-to-end figures of one training configuration.</summary>
/// <param name="EpochSeconds">Seconds of each timed epoch.</param>
/// <param name="ScoringGflops">Dot products of the forward pass (rows x (1 + N) x 2 dim FLOP) per second of the forward-backward phase.</param>
/// <param name="OptimizerGBps">Bytes of w, m and v read and written by rows caught up (dense Adam) or stepped (6 x 4 x dim each) per second of those phases.</param>
/// <param name="EvaluationSeconds">Median full-ranking evaluation of the test split at K = 20.</param>
/// <param name="PeakWorkingSetBytes">The process's peak working set after this configuration.</param>
/// <param name="AllocatedBytesPerEpoch">Managed bytes allocated per training epoch (all threads).</param>
/// <param name="StepsPerEpoch">Optimisation steps per epoch.</param>
/// <param name="ItemRowsPerStep">Mean distinct item rows a step reads (and so first brings up to date).</param>
/// <param name="SlotsPerEpoch">(row, item) scores per epoch: rows x (1 + N).</param>
public sealed record BenchmarkResult(int Negatives, IReadOnlyList<double> EpochSeconds, double RowsPerSecond, double ScoringGflops, double OptimizerGBps,
    double EvaluationSeconds, long PeakWorkingSetBytes, double AllocatedBytesPerEpoch, IReadOnlyList<(string Phase, double SecondsPerEpoch)> Phases,
    double StepsPerEpoch, double ItemRowsPerStep, double SlotsPerEpoch)
{
    public double MedianEpochSeconds => Median(EpochSeconds);

    internal static double Median(IReadOnlyList<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>Times training epochs and evaluation of one configuration (the engine of `recloss bench`).</summary>
public static class TrainingBenchmark
{
    public static BenchmarkResult Run(Dataset data, IRowLoss loss, SessionOptions options, int epochs, CancellationToken cancellation = default)
    {
        if (data.Test is null)
        {
            throw new ArgumentException("The benchmark evaluates the test split; the data has none.", nameof(data));
        }
        RunParts parts = EncoderFactory.BuildRun(data, loss, options);
        var seconds = new List<double>();
        long allocatedTotalBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            parts.Trainer.RunEpoch(epoch, null, cancellation);
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        double allocatedPerEpoch = (GC.GetTotalAllocatedBytes(precise: true) - allocatedTotalBefore) / (double)epochs;
        parts.CatchUpAll();
        var evaluator = new Evaluator(new EvaluatorOptions { Ks = [20] }, parts.Runner);
        FactorModel model = parts.Encoder.Export(parts.Runner);
        var evaluationSeconds = new List<double>();
        for (int r = 0; r < 3; r++)
        {
            evaluationSeconds.Add(evaluator.Evaluate(model, data.Train, data.Test).Seconds);
        }

        TrainerCounters counters = parts.Trainer.Counters;
        double[] phase = parts.Trainer.PhaseSeconds;
        IReadOnlyList<string> names = parts.Trainer.PhaseNames;
        // MF's trainer names its scoring and optimizer phases; the generic trainer's differ, and these two rates are
        // then not given (NaN).
        double Phase(string name) => names.ToList().IndexOf(name) is int i and >= 0 ? phase[i] : double.NaN;
        int dim = options.Encoder.Dim;
        double total = seconds.Sum();
        double scoringFlops = counters.Slots * 2.0 * dim;
        // Catching a row up moves its w, m and v only when idle rows change (dense Adam); sparse Adam's catch-up is empty.
        long rowsMoved = (options.Optimizer == OptimizerKind.Adam ? counters.RowsCaughtUp : 0) + counters.RowsStepped;
        double optimizerBytes = rowsMoved * 6.0 * 4 * dim;
        return new BenchmarkResult(
            options.Trainer.Negatives,
            seconds,
            counters.Rows / total,
            scoringFlops / Phase("forward-backward") / 1e9,
            optimizerBytes / (Phase("catch-up") + Phase("adam-step")) / 1e9,
            BenchmarkResult.Median(evaluationSeconds),
            Process.GetCurrentProcess().PeakWorkingSet64,
            allocatedPerEpoch,
            names.Select((n, i) => (n, phase[i] / epochs)).ToArray(),
            counters.Steps / (double)epochs,
            counters.ItemRowsRead / (double)Math.Max(1, counters.Steps),
            counters.Slots / (double)epochs);
    }
}
