using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Evaluation;

namespace RecLoss.Core.Training;

/// <summary>What a run does after each evaluation of the split it watches (validation, or test): keep a new best
/// epoch's parameters, count a stall towards patience, or (with a plateau schedule) cut the rate and go back to the
/// best. It holds the state a checkpoint saves: the best epoch and its parameters, the stall count, the rate.</summary>
internal sealed class EpochWatch
{
    private readonly SessionOptions _options;

    /// <exception cref="ArgumentException">Early stopping or the schedule watches a split the data lacks.</exception>
    public EpochWatch(SessionOptions options, Dataset data, TrainingStart? start, IReadOnlyList<EpochRecord> history)
    {
        _options = options;
        bool onTest = options.SelectOn == SelectionSplit.Test;
        if (Active && (onTest ? data.Test : data.Validation) is null)
        {
            string who = options.Patience > 0 ? "Early stopping" : "The plateau schedule";
            throw new ArgumentException(onTest
                ? $"{who} on test needs a test split; the data has none."
                : $"{who} watches the validation split, but the data has none: carve one (a validation ratio) or select on test, the reference's optimistic protocol.");
        }
        Rate = start?.LearningRate ?? options.Adam.LearningRate;
        Best = start?.BestEpoch is { } b ? history.Single(r => r.Epoch == b) : null;
        BestParameters = start?.BestParameters?.Select(p => p.Values).ToArray();
        SinceBest = start?.SinceBest ?? 0;
        StoppedEarly = start?.StoppedEarly ?? false;
    }

    public enum Verdict
    {
        /// <summary>Nothing to do: no watched evaluation, or a stall patience still allows.</summary>
        GoOn,
        NewBest,

        /// <summary>Patience ran out before the last epoch.</summary>
        Stop,

        /// <summary>A stall with a plateau schedule: <see cref="Rate"/> is cut; the caller puts <see cref="BestParameters"/> back.</summary>
        Plateau,
    }

    /// <summary>Whether anything watches a split: early stopping or a plateau schedule.</summary>
    public bool Active => _options.Patience > 0 || _options.Plateau is not null;

    /// <summary>"best-test (test-selected: optimistic)" or "best-validation": how the kept epoch was chosen.</summary>
    public string BestLabel => _options.SelectOn == SelectionSplit.Test ? BestTestLabel : "best-validation";

    public const string BestTestLabel = "best-test (test-selected: optimistic)";

    public EpochRecord? Best { get; private set; }

    public float[][]? BestParameters { get; private set; }

    public int SinceBest { get; private set; }

    public bool StoppedEarly { get; private set; }

    /// <summary>The rate of the epochs to come.</summary>
    public double Rate { get; private set; }

    /// <summary>The rate to record for an epoch: only when a schedule may change it.</summary>
    public double? RecordedRate => _options.Plateau is null ? null : Rate;

    /// <summary>The selection metric at the selection K.</summary>
    public double Score(EvaluationResult e) =>
        _options.SelectionMetric == SelectionMetric.Ndcg ? e.At(_options.SelectionK).Ndcg : e.At(_options.SelectionK).Recall;

    /// <summary>Judges an epoch; <paramref name="encoder"/>'s tables must be caught up (they are after an evaluation).</summary>
    public Verdict Observe(EpochRecord record, IEncoder encoder, bool lastEpoch)
    {
        if (!Active || (_options.SelectOn == SelectionSplit.Test ? record.Test : record.Validation) is not { } watched)
        {
            return Verdict.GoOn;
        }
        if (Best is null || Score(watched) > Score(Watched(Best)))
        {
            Best = record;
            BestParameters = encoder.Parameters.Select(p => p.Values.ToArray()).ToArray();
            SinceBest = 0;
            return Verdict.NewBest;
        }
        if (_options.Patience > 0 && ++SinceBest >= _options.Patience)
        {
            StoppedEarly = !lastEpoch;
            return StoppedEarly ? Verdict.Stop : Verdict.GoOn;
        }
        if (_options.Plateau is { } plateau && !lastEpoch)
        {
            // No better than the best: go on from the best parameters at a lower rate (the reference's plateau step).
            Rate = plateau.Next(Rate);
            return Verdict.Plateau;
        }
        return Verdict.GoOn;
    }

    private EvaluationResult Watched(EpochRecord r) => (_options.SelectOn == SelectionSplit.Test ? r.Test : r.Validation)!;
}
