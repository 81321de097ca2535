using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;

namespace RecLoss.Core.Training;

/// <summary>The interaction encoders.</summary>
public enum EncoderKind
{
    MatrixFactorization,
    SimpleX,
    LightGcn,
}

/// <summary>A run's parts: the encoder, the trainer that steps it, how to bring every row up to date before reading
/// whole tables (MF's deferred replay; a no-op for dense Adam), the worker pool they share, and the optimizer's state
/// out and in (after the catch-up) to continue a run exactly, and the step size of the steps to come.</summary>
public sealed record RunParts(IEncoder Encoder, IEpochRunner Trainer, Action CatchUpAll, ParallelRunner Runner,
    Func<int, OptimizerState> ExportOptimizer, Action<OptimizerState> ImportOptimizer, Action<double> SetLearningRate);

/// <summary>A trainer over an encoder's parameter blocks, with the optimizer that steps them.</summary>
public interface IHasBlockOptimizer
{
    IBlockOptimizer Optimizer { get; }
}

/// <summary>Builds the encoder and its trainer from the options.</summary>
/// <remarks>MF with interaction epochs (L2 on the whole tables or on the batch's rows) takes its own trainer, which
/// defers idle rows' Adam steps (<see cref="ReplayAdamOptimizer"/>); every other combination takes <see cref="EncoderTrainer{TLoss}"/>
/// with dense Adam over the encoder's parameter blocks.</remarks>
public static class EncoderFactory
{
    public static IEncoder Create(SessionOptions options, InteractionMatrix train)
    {
        MatrixFactorizationOptions shared = options.Encoder;
        return options.Kind switch
        {
            EncoderKind.SimpleX => new SimpleX(train, new SimpleXOptions
            {
                Dim = shared.Dim,
                InitStd = shared.InitStd,
                Score = shared.Score,
                Init = shared.Init,
                EvaluationScore = shared.EvaluationScore,
                Gamma = options.SimpleX.Gamma,
                HistoryLength = options.SimpleX.HistoryLength,
                SharedHistoryTable = options.SimpleX.SharedHistoryTable,
                Aggregator = options.SimpleX.Aggregator,
                Padding = options.SimpleX.Padding,
            }, options.Trainer.Seed),
            EncoderKind.LightGcn => new LightGcn(train, new LightGcnOptions
            {
                Dim = shared.Dim,
                InitStd = shared.InitStd,
                Score = shared.Score,
                Init = shared.Init,
                EvaluationScore = shared.EvaluationScore,
                Layers = options.LightGcn.Layers,
                LayerL2 = options.L2Placement == L2Placement.BatchLayers,
            }, options.Trainer.Seed),
            _ => new MatrixFactorization(train.UserCount, train.ItemCount, shared, options.Trainer.Seed),
        };
    }

    /// <summary>True when MF's own trainer (deferred dense Adam) runs these options.</summary>
    public static bool UsesMatrixFactorizationTrainer(SessionOptions options) =>
        options.Kind == EncoderKind.MatrixFactorization && options.EpochRows == EpochRows.Interactions;

    /// <summary>Refuses a loss defined on one score only (contrastive, triplet) with an encoder using the other.</summary>
    internal static void CheckScore(IRowLoss loss, SessionOptions options)
    {
        if (loss.RequiredScore is { } required && required != options.Encoder.Score)
        {
            throw new ArgumentException($"The {loss.Name} loss is defined on {required} scores only; the encoder uses {options.Encoder.Score}.", nameof(options));
        }
    }

    /// <summary>Refuses L2 on every layer for an encoder without propagated layers.</summary>
    public static void CheckL2Placement(SessionOptions options)
    {
        if (options.L2Placement == L2Placement.BatchLayers && options.Kind != EncoderKind.LightGcn)
        {
            throw new ArgumentException($"L2 on every layer applies to LightGCN, whose vectors are propagated layers; {options.Kind} has one layer (use L2 on the batch's rows).", nameof(options));
        }
    }

    public static RunParts BuildRun(Dataset data, IRowLoss loss, SessionOptions options)
    {
        CheckL2Placement(options);
        if (UsesMatrixFactorizationTrainer(options))
        {
            TrainingSession.Parts parts = TrainingSession.Build(data, loss, options);
            return new RunParts(parts.Encoder, parts.Trainer, parts.Optimizer.CatchUpAll, parts.Runner, parts.Optimizer.Export, parts.Optimizer.Import,
                rate => parts.Optimizer.LearningRate = rate);
        }
        CheckScore(loss, options);
        if (options.Optimizer == OptimizerKind.SparseAdam)
        {
            throw new ArgumentException("Sparse Adam is implemented in the MF trainer only; SimpleX and LightGCN take dense Adam.", nameof(options));
        }
        var runner = new ParallelRunner(options.Trainer.Threads);
        IEncoder encoder = Create(options, data.Train);
        NegativeSampling sampling = options.Sampler.Create(data.Train, options.Trainer.ExcludePositives, options.Trainer.Negatives);
        IEpochRunner trainer = loss.Accept(new Builder(options, encoder, sampling, data.Train, runner));
        IBlockOptimizer optimizer = ((IHasBlockOptimizer)trainer).Optimizer;
        return new RunParts(encoder, trainer, optimizer.CatchUpAll, runner, optimizer.Export, optimizer.Import, rate => optimizer.LearningRate = rate);
    }

    private sealed class Builder(SessionOptions options, IEncoder encoder, NegativeSampling sampling, InteractionMatrix train, ParallelRunner runner)
        : IRowLossVisitor<IEpochRunner>
    {
        public IEpochRunner Visit<TLoss>(TLoss loss)
            where TLoss : struct, IRowLoss =>
            new EncoderTrainer<TLoss>(loss, options.Trainer, encoder, options.Adam, options.L2Placement, sampling, train, runner, options.EpochRows);
    }
}
