using RecLoss.Core.Encoders;

namespace RecLoss.Core.Optim;

/// <summary>Dense Adam over embedding tables: every row of every table takes every step.</summary>
/// <remarks>
/// Implementations differ only in when a row's arithmetic is done: <see cref="DenseAdamOptimizer"/> streams every row
/// at every step (the plain loop and the test oracle); <see cref="ReplayAdamOptimizer"/> defers rows without a data
/// gradient and replays their steps when they are next read. Callers must call <see cref="CatchUp"/> on every row
/// they read before a step and <see cref="CatchUpAll"/> before reading whole tables.
/// </remarks>
public abstract class AdamOptimizer
{
    private AdamStepScalars[] _steps = new AdamStepScalars[1024]; // index t holds step t's scalars (t >= 1)

    protected AdamOptimizer(AdamOptions options, EmbeddingTable[] tables, ParallelRunner runner)
    {
        options.Validate();
        Options = options;
        Tables = tables;
        Runner = runner;
        Kernel = new AdamKernel(options);
        FirstMoments = tables.Select(t => new float[t.Weights.Length]).ToArray();
        SecondMoments = tables.Select(t => new float[t.Weights.Length]).ToArray();
    }

    public AdamOptions Options { get; }

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; private set; }

    protected EmbeddingTable[] Tables { get; }

    protected ParallelRunner Runner { get; }

    internal AdamKernel Kernel { get; }

    protected float[][] FirstMoments { get; }

    protected float[][] SecondMoments { get; }

    /// <summary>The scalars of steps first..last inclusive.</summary>
    protected ReadOnlySpan<AdamStepScalars> Steps(int first, int last) => _steps.AsSpan(first, last - first + 1);

    /// <summary>Brings rows[0..count) of a table up to date with every step taken so far.</summary>
    public abstract void CatchUp(int table, int[] rows, int count);

    /// <summary>Brings the given rows up to date on the calling thread (for callers that parallelise themselves).</summary>
    public abstract void CatchUpSerial(int table, ReadOnlySpan<int> rows);

    /// <summary>Brings every row up to date.</summary>
    public abstract void CatchUpAll();

    /// <summary>Takes one step; the gradient holds data gradients only (the L2 term is added here).</summary>
    public abstract void Step(SparseGradient gradient);

    /// <summary>Records step t's scalars from the squared global gradient norm and returns them.</summary>
    protected AdamStepScalars BeginStep(double globalNormSquared)
    {
        int t = StepCount + 1;
        double clip = 1;
        if (Options.ClipNorm > 0)
        {
            // As torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
            double norm = Math.Sqrt(globalNormSquared);
            clip = Math.Min(1.0, Options.ClipNorm / (norm + 1e-6));
        }
        var scalars = new AdamStepScalars(
            (float)clip,
            (float)(Options.LearningRate / (1 - Math.Pow(Options.Beta1, t))),
            (float)(1 / Math.Sqrt(1 - Math.Pow(Options.Beta2, t))));
        if (t >= _steps.Length)
        {
            Array.Resize(ref _steps, _steps.Length * 2);
        }
        _steps[t] = scalars;
        StepCount = t;
        return scalars;
    }
}
