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

    private const int RowChunk = 256;
    private double[] _rowNorms = new double[1024];
    private SparseGradient? _gradient;
    private int _table, _offset;
    private AdamStepScalars _scalars;
    private Action<int, int>? _addL2Rows, _applyRows;

    /// <summary>Called for each row with a data gradient before the step reads it (e.g. to check it is current).</summary>
    protected virtual void BeforeRowStep(int table, int row)
    {
    }

    /// <summary>Called for each row after the step updated it.</summary>
    protected virtual void AfterRowStep(int table, int row)
    {
    }

    /// <summary>
    /// The step for the rows with a data gradient: <c>G = data + lambda w</c>, the global norm (these rows plus
    /// <paramref name="otherNormSquared"/> for the rest), the clip factor, and the Adam update of these rows.
    /// </summary>
    protected void StepGradientRows(SparseGradient gradient, double otherNormSquared)
    {
        _addL2Rows ??= AddL2Rows;
        _applyRows ??= ApplyRows;
        int total = gradient.Counts.Sum();
        if (_rowNorms.Length < total)
        {
            _rowNorms = new double[Math.Max(total, _rowNorms.Length * 2)];
        }
        _gradient = gradient;
        _offset = 0;
        for (_table = 0; _table < Tables.Length; _table++)
        {
            Runner.For(gradient.Counts[_table], RowChunk, _addL2Rows);
            _offset += gradient.Counts[_table];
        }
        double normSquared = otherNormSquared;
        for (int p = 0; p < total; p++)
        {
            normSquared += _rowNorms[p];
        }
        _scalars = BeginStep(normSquared);
        for (_table = 0; _table < Tables.Length; _table++)
        {
            Runner.For(gradient.Counts[_table], RowChunk, _applyRows);
        }
        _gradient = null;
    }

    private void AddL2Rows(int start, int end)
    {
        SparseGradient gradient = _gradient!;
        for (int p = start; p < end; p++)
        {
            int row = gradient.Rows[_table][p];
            BeforeRowStep(_table, row);
            _rowNorms[_offset + p] = Kernel.AddL2(Tables[_table].Row(row), gradient.Value(_table, p));
        }
    }

    private void ApplyRows(int start, int end)
    {
        SparseGradient gradient = _gradient!;
        int dim = Tables[_table].Dim;
        for (int p = start; p < end; p++)
        {
            int row = gradient.Rows[_table][p];
            Kernel.Apply(Tables[_table].Row(row), FirstMoments[_table].AsSpan(row * dim, dim), SecondMoments[_table].AsSpan(row * dim, dim), gradient.Value(_table, p), _scalars);
            AfterRowStep(_table, row);
        }
    }

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
