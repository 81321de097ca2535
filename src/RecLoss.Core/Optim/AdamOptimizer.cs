using RecLoss.Core.Encoders;
using RecLoss.Core.Models;
using RecLoss.Numerics;

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
    private AdamStepScalars[] _steps = new AdamStepScalars[1024]; // index t - _firstStep holds step t's scalars
    private int _firstStep;                                        // steps up to here are in every row (after an import)

    protected AdamOptimizer(AdamOptions options, EmbeddingTable[] tables, ParallelRunner runner)
    {
        TableNames = [.. Enumerable.Range(0, tables.Length).Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        options.Validate();
        Options = options;
        LearningRate = options.LearningRate;
        Tables = tables;
        Runner = runner;
        Kernel = new AdamKernel(options);
        FirstMoments = tables.Select(t => new FloatBuffer(t.Weights.Length)).ToArray();
        SecondMoments = tables.Select(t => new FloatBuffer(t.Weights.Length)).ToArray();
    }

    public AdamOptions Options { get; }

    /// <summary>The step size of the steps to come: the options' at first, lowered by a plateau schedule. Each
    /// step records its own in its scalars, so rows replayed later take the rate of the steps they missed.</summary>
    public double LearningRate { get; set; }

    /// <summary>The tables' names in an exported state ("m/NAME", "v/NAME"): the encoder's block names where the
    /// trainer gives them, so that a state moves between MF's own trainer and the generic one.</summary>
    public IReadOnlyList<string> TableNames { get; set; }

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; private set; }

    protected EmbeddingTable[] Tables { get; }

    protected ParallelRunner Runner { get; }

    internal AdamKernel Kernel { get; }

    protected FloatBuffer[] FirstMoments { get; }

    protected FloatBuffer[] SecondMoments { get; }

    /// <summary>The moments ("m/T", "v/T" per table T) and the step count; every row must be caught up.</summary>
    public OptimizerState Export(int epochs)
    {
        var arrays = new Dictionary<string, Array>(StringComparer.Ordinal);
        for (int t = 0; t < Tables.Length; t++)
        {
            arrays[$"m/{TableNames[t]}"] = FirstMoments[t].ToArray();
            arrays[$"v/{TableNames[t]}"] = SecondMoments[t].ToArray();
        }
        return new OptimizerState(epochs, StepCount, arrays);
    }

    /// <summary>Continues after <see cref="OptimizerState.Steps"/> steps with the saved moments (every row current).</summary>
    public void Import(OptimizerState state)
    {
        for (int t = 0; t < Tables.Length; t++)
        {
            Restore(state, $"m/{TableNames[t]}", FirstMoments[t]);
            Restore(state, $"v/{TableNames[t]}", SecondMoments[t]);
        }
        if (state.Steps < 0 || state.Steps >= int.MaxValue / 2)
        {
            throw new FormatException($"optimizer step count {state.Steps} is out of range");
        }
        StepCount = (int)state.Steps;
        _firstStep = StepCount;   // every row is current: no replay reaches back past the import
        AfterImport();
    }

    /// <summary>Marks every row current after <see cref="Import"/>.</summary>
    protected virtual void AfterImport()
    {
    }

    /// <summary>Copies a saved array into <paramref name="target"/>, refusing a missing one or another length.</summary>
    internal static void Restore(OptimizerState state, string name, Span<float> target)
    {
        float[] saved = state.Get<float>(name);
        if (saved.Length != target.Length)
        {
            throw new FormatException($"optimizer array '{name}' holds {saved.Length:N0} values, these parameters need {target.Length:N0}");
        }
        saved.CopyTo(target);
    }

    /// <summary>The scalars of steps first..last inclusive.</summary>
    protected ReadOnlySpan<AdamStepScalars> Steps(int first, int last) => _steps.AsSpan(first - _firstStep, last - first + 1);

    /// <summary>Brings rows[0..count) of a table up to date with every step taken so far.</summary>
    public abstract void CatchUp(int table, int[] rows, int count);

    /// <summary>Brings the given rows up to date on the calling thread (for callers that parallelise themselves).</summary>
    public abstract void CatchUpSerial(int table, ReadOnlySpan<int> rows);

    /// <summary>Brings every row up to date.</summary>
    public abstract void CatchUpAll();

    /// <summary>Takes one step; the gradient holds data gradients only (the L2 term is added here).</summary>
    public abstract void Step(SparseGradient gradient);

    /// <summary>Whether rows without a data gradient change between steps (dense Adam: yes, through the L2 term and
    /// their moments). When not, a row's weights change only in the steps that carry its gradient.</summary>
    public virtual bool IdleRowsChange => true;

    /// <summary>Whether <see cref="StepWithL2Added"/> is available (the optimizers that step only the gradient's rows).</summary>
    public virtual bool CanStepWithL2Added => false;

    /// <summary>As <see cref="Step"/> for a gradient that already holds <c>data + lambda w</c>, with each row's |G|^2.</summary>
    public virtual void StepWithL2Added(SparseGradient gradient, ReadOnlySpan<double> rowNormsSquared) =>
        throw new NotSupportedException($"{GetType().Name} adds the L2 term to every row itself; call Step.");

    private const int RowChunk = 256;
    private const int PrefetchAhead = 4;
    private double[] _rowNorms = new double[1024];
    private SparseGradient? _gradient;
    private int _table, _offset;
    private AdamStepScalars _scalars;
    private Action<int, int>? _addL2Rows, _applyRows;
    private bool _l2Added;

    /// <summary>Called for each row with a data gradient before the step reads it (e.g. to check it is current).</summary>
    /// <param name="stepsTaken">The number of steps taken before this one.</param>
    protected virtual void BeforeRowStep(int table, int row, int stepsTaken)
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
    /// <param name="l2AddedNorms">Empty: add the L2 term here. Otherwise the gradient already holds
    /// <c>data + lambda w</c> (<see cref="AdamKernel.AddL2"/> applied by the caller while the row was hot) and this
    /// holds each row's <c>|G|^2</c>, tables in order; the arithmetic is the same.</param>
    /// <returns>The step's scalars (clip factor and bias corrections), for parameters stepped outside the tables.</returns>
    protected AdamStepScalars StepGradientRows(SparseGradient gradient, double otherNormSquared, ReadOnlySpan<double> l2AddedNorms = default)
    {
        _addL2Rows ??= AddL2Rows;
        _applyRows ??= ApplyRows;
        int total = gradient.Counts.Sum();
        if (_rowNorms.Length < total)
        {
            _rowNorms = new double[Math.Max(total, _rowNorms.Length * 2)];
        }
        _gradient = gradient;
        _l2Added = !l2AddedNorms.IsEmpty;
        if (_l2Added)
        {
            if (l2AddedNorms.Length < total)
            {
                throw new ArgumentException($"{l2AddedNorms.Length} row norms for {total} gradient rows.", nameof(l2AddedNorms));
            }
            l2AddedNorms[..total].CopyTo(_rowNorms);
        }
        else
        {
            _offset = 0;
            for (_table = 0; _table < Tables.Length; _table++)
            {
                Runner.For(gradient.Counts[_table], RowChunk, _addL2Rows);
                _offset += gradient.Counts[_table];
            }
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
        return _scalars;
    }

    private void AddL2Rows(int start, int end)
    {
        SparseGradient gradient = _gradient!;
        int dim = Tables[_table].Dim;
        for (int p = start; p < end; p++)
        {
            int row = gradient.Rows[_table][p];
            if (p + PrefetchAhead < end)
            {
                // Rows come from anywhere in the table: ask for the row a few places ahead.
                int ahead = gradient.Rows[_table][p + PrefetchAhead];
                Prefetch.Row<float>(Tables[_table].Weights, ahead * dim, dim);
                Prefetch.Row<float>(gradient.Value(_table, p + PrefetchAhead), 0, dim);
            }
            BeforeRowStep(_table, row, StepCount);
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
            if (p + PrefetchAhead < end)
            {
                int ahead = gradient.Rows[_table][p + PrefetchAhead] * dim;
                Prefetch.Row<float>(Tables[_table].Weights, ahead, dim);
                Prefetch.Row<float>(FirstMoments[_table], ahead, dim);
                Prefetch.Row<float>(SecondMoments[_table], ahead, dim);
            }
            if (_l2Added)
            {
                BeforeRowStep(_table, row, StepCount - 1);
            }
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
            (float)(LearningRate / (1 - Math.Pow(Options.Beta1, t))),
            (float)(1 / Math.Sqrt(1 - Math.Pow(Options.Beta2, t))));
        if (t - _firstStep >= _steps.Length)
        {
            Array.Resize(ref _steps, _steps.Length * 2);
        }
        _steps[t - _firstStep] = scalars;
        StepCount = t;
        return scalars;
    }
}
