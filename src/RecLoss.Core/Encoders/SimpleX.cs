using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>
/// SimpleX with the mean aggregator: <c>x_u = g e_u + (1 - g) W a_u</c>, <c>a_u = sum_{j in H(u)} h_j / (|H(u)| + 1e-9)</c>,
/// where H(u) is the user's last <c>HistoryLength</c> train items in RecLoss's stored order, which is ascending item
/// index (the reference keeps the file's order: the two differ only when a history is truncated, which neither
/// reference run does with g &lt; 1) and, in training, without the row's target item. The row kernel then normalises
/// x_u (cosine) and applies dropout, as the reference does. W has no bias and a Xavier-normal initialisation.
/// </summary>
public sealed partial class SimpleX : IEncoder
{
    private readonly InteractionMatrix _train;
    private readonly float _gamma, _history;          // g and 1 - g
    private readonly int _historyLength;
    private readonly ScoreKind _evaluationScore;
    private readonly SimpleXAggregator _aggregator;
    private readonly ParameterBlock _users, _items, _historyTable, _weights;
    private float[] _aggregates = [];                 // [rows, dim]: a_r of the step's rows
    private float[] _aggregateGradients = [];         // [rows, dim]: dL/da_r / (count + 1e-9)
    private int[] _counts = [];                       // [rows]: |H(u) \ {target}|
    private int[] _stepUsers = [], _stepTargets = [];
    private float[] _stepOutput = [], _stepGradients = [];
    private int _stepRows;
    private Owners _historyOwners = new(1);
    private bool _hasTargets;
    private readonly Action<int, int> _userRows, _historyGradientRows, _weightGradientRows, _historyScatter;

    public SimpleX(InteractionMatrix train, SimpleXOptions options, ulong seed)
    {
        ArgumentRange.Check(options.Gamma, 0, 1, "Gamma", parameter: nameof(options));
        _train = train;
        Dim = options.Dim;
        Score = options.Score;
        _evaluationScore = options.EvaluationScore ?? options.Score;
        _gamma = (float)options.Gamma;
        _history = (float)(1 - options.Gamma);
        _historyLength = options.HistoryLength;
        var users = new EmbeddingTable(train.UserCount, Dim);
        var items = new EmbeddingTable(train.ItemCount, Dim);
        users.Initialize(options.Init, options.InitStd, seed, 0xE5E1);
        items.Initialize(options.Init, options.InitStd, seed, 0x17E3);
        _users = new ParameterBlock("users", train.UserCount, Dim, users.Weights, true);
        _items = new ParameterBlock("items", train.ItemCount, Dim, items.Weights, true);
        if (options.SharedHistoryTable)
        {
            _historyTable = _items;
        }
        else
        {
            var history = new EmbeddingTable(train.ItemCount, Dim);
            history.Initialize(options.Init, options.InitStd, seed, 0x4157);
            _historyTable = new ParameterBlock("history", train.ItemCount, Dim, history.Weights, true);
        }
        var w = new EmbeddingTable(Dim, Dim);
        w.InitializeNormal(Math.Sqrt(2.0 / (Dim + Dim)), seed, 0x3A7);   // Xavier normal: std sqrt(2 / (fan_in + fan_out))
        _weights = new ParameterBlock("W", Dim, Dim, w.Weights, false);
        Parameters = options.SharedHistoryTable ? [_users, _items, _weights] : [_users, _items, _historyTable, _weights];
        _aggregator = options.Aggregator;
        if (_aggregator != SimpleXAggregator.Mean)
        {
            Parameters = [.. Parameters, .. InitializeAttention(options, seed)];
        }
        _userRows = UserRows;
        _historyGradientRows = HistoryGradientRows;
        _weightGradientRows = WeightGradientRows;
        _historyScatter = HistoryScatter;
    }

    public string Name => "simplex";

    public int Dim { get; }

    public int UserCount => _train.UserCount;

    public int ItemCount => _train.ItemCount;

    public ScoreKind Score { get; }

    public IReadOnlyList<ParameterBlock> Parameters { get; }

    public ReadOnlySpan<float> ItemVectors => _items.Values;

    public void BeginStep(ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<int> candidates, ParallelRunner runner)
    {
    }

    /// <summary>H(u): the user's last HistoryLength train items.</summary>
    private ReadOnlySpan<int> History(int user)
    {
        ReadOnlySpan<int> row = _train.Row(user);
        return _historyLength > 0 && row.Length > _historyLength ? row[^_historyLength..] : row;
    }

    public void UserVectors(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, Span<float> output, ParallelRunner runner)
    {
        if (_stepUsers.Length < users.Length)
        {
            // Sized for the largest batch once; a step allocates nothing.
            _aggregates = new float[users.Length * Dim];
            _aggregateGradients = new float[users.Length * Dim];
            _stepOutput = new float[users.Length * Dim];
            _stepGradients = new float[users.Length * Dim];
            _counts = new int[users.Length];
            _stepUsers = new int[users.Length];
            _stepTargets = new int[users.Length];
        }
        // Each row reads its own history: rows run in parallel and write only their own outputs.
        _stepRows = users.Length;
        users.CopyTo(_stepUsers);
        _hasTargets = !targets.IsEmpty;
        targets.CopyTo(_stepTargets);
        if (_aggregator != SimpleXAggregator.Mean && _history != 0)
        {
            LayOutEntries();
            ComputeKeys(runner);
        }
        runner.For(users.Length, 8, _userRows);
        _stepOutput.AsSpan(0, users.Length * Dim).CopyTo(output);
    }

    private void UserRows(int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            Span<float> x = _stepOutput.AsSpan(r * Dim, Dim);
            VectorKernels.Multiply<float>(_users.Values.AsSpan(_stepUsers[r] * Dim, Dim), _gamma, x);
            if (_history == 0)
            {
                continue;   // g = 1: the history does not change the vector (the reference still steps its parameters)
            }
            Span<float> a = _aggregates.AsSpan(r * Dim, Dim);
            _counts[r] = _aggregator == SimpleXAggregator.Mean
                ? Aggregate(_stepUsers[r], _hasTargets ? _stepTargets[r] : -1, a)
                : Attend(r, a);
            AddProjected(a, _history, x);
        }
    }

    /// <summary>a = sum of h_j over H(u) without <paramref name="target"/>, divided by (count + 1e-9); returns the count.</summary>
    private int Aggregate(int user, int target, Span<float> a) => Aggregate(History(user), target, a);

    private int Aggregate(ReadOnlySpan<int> history, int target, Span<float> a)
    {
        a.Clear();
        int count = 0;
        foreach (int j in history)
        {
            if (j != target)
            {
                VectorKernels.MultiplyAdd(_historyTable.Values.AsSpan(j * Dim, Dim), 1f, a);
                count++;
            }
        }
        VectorKernels.Multiply<float>(a, 1f / (count + 1e-9f), a);
        return count;
    }

    /// <summary>x += scale W a, with W [dim out, dim in] row-major.</summary>
    private void AddProjected(ReadOnlySpan<float> a, float scale, Span<float> x)
    {
        FloatBuffer w = _weights.Values;
        for (int o = 0; o < Dim; o++)
        {
            x[o] += scale * VectorKernels.Dot(w.AsSpan(o * Dim, Dim), a);
        }
    }

    public bool ReadsFewRows => true;

    /// <summary>The batch users, the slot items, and (unless g = 1) every history item of the batch users.</summary>
    public void CollectRows(ReadOnlySpan<int> users, ReadOnlySpan<int> items, RowSet[] rows)
    {
        rows[0].AddRange(users);
        rows[1].AddRange(items);
        if (_history == 0)
        {
            return;
        }
        RowSet history = rows[_historyTable == _items ? 1 : 2];
        foreach (int u in users)
        {
            history.AddRange(History(u));
        }
    }

    /// <summary>
    /// dx -> de_u += g dx; with y = (1 - g) dx: dW += y a^T, da = W^T y / (count + 1e-9), and dh_j += da for every
    /// history item of the row. Each sum runs over rows in order (dW by output row, dh by item owner), so the result
    /// does not depend on the thread count.
    /// </summary>
    public void Backward(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, ReadOnlySpan<float> userGradients, float[] itemGradients, ReadOnlySpan<int> itemRows,
        ParallelRunner runner)
    {
        FloatBuffer userBlock = _users.Gradient;
        for (int r = 0; r < users.Length; r++)
        {
            VectorKernels.MultiplyAdd(userGradients.Slice(r * Dim, Dim), _gamma, userBlock.AsSpan(users[r] * Dim, Dim));
        }
        if (_history != 0)
        {
            _stepRows = users.Length;
            userGradients.CopyTo(_stepGradients);
            _historyOwners = new Owners(runner.Threads);
            runner.For(users.Length, 8, _historyGradientRows);    // da per row
            runner.For(Dim, 8, _weightGradientRows);              // dW by output row
            if (_aggregator != SimpleXAggregator.Mean)
            {
                AttentionBackward(runner);                        // per-entry dh, the attention weights, the query
            }
            runner.For(_historyOwners.Count, 1, _historyScatter);       // dh by item owner
        }
        MatrixFactorization.AddItemRows(itemGradients, itemRows, _items.Gradient, Dim);
    }

    /// <summary>da_r = W^T ((1 - g) dx_r) / (count_r + 1e-9), into the aggregate-gradient buffer.</summary>
    private void HistoryGradientRows(int start, int end)
    {
        FloatBuffer w = _weights.Values;
        for (int r = start; r < end; r++)
        {
            Span<float> da = _aggregateGradients.AsSpan(r * Dim, Dim);
            da.Clear();
            for (int o = 0; o < Dim; o++)
            {
                VectorKernels.MultiplyAdd(w.AsSpan(o * Dim, Dim), _history * _stepGradients[r * Dim + o], da);
            }
            if (_aggregator == SimpleXAggregator.Mean)
            {
                VectorKernels.Multiply<float>(da, 1f / (_counts[r] + 1e-9f), da);
            }
        }
    }

    /// <summary>dW[o] += sum_r (1 - g) dx_r[o] a_r, rows in order.</summary>
    private void WeightGradientRows(int start, int end)
    {
        FloatBuffer dW = _weights.Gradient;
        for (int o = start; o < end; o++)
        {
            Span<float> row = dW.AsSpan(o * Dim, Dim);
            for (int r = 0; r < _stepRows; r++)
            {
                VectorKernels.MultiplyAdd(_aggregates.AsSpan(r * Dim, Dim), _history * _stepGradients[r * Dim + o], row);
            }
        }
    }

    /// <summary>dh_j += da_r for the history items j of every row r (target left out); owner w takes j % W == w.</summary>
    private void HistoryScatter(int firstOwner, int endOwner)
    {
        FloatBuffer dH = _historyTable.Gradient;
        Owners owners = _historyOwners;
        for (int owner = firstOwner; owner < endOwner; owner++)
        {
            if (_aggregator != SimpleXAggregator.Mean)
            {
                // Attention: each (row, item) entry has its own gradient, in entry order.
                for (int e = 0; e < _entryCount; e++)
                {
                    int j = _entryItem[e];
                    if (owners.Of(j) == owner)
                    {
                        VectorKernels.MultiplyAdd(_entryGradient.AsSpan(e * Dim, Dim), 1f, dH.AsSpan(j * Dim, Dim));
                    }
                }
                continue;
            }
            for (int r = 0; r < _stepRows; r++)
            {
                int target = _hasTargets ? _stepTargets[r] : -1;
                ReadOnlySpan<float> da = _aggregateGradients.AsSpan(r * Dim, Dim);
                foreach (int j in History(_stepUsers[r]))
                {
                    if (owners.Of(j) == owner && j != target)
                    {
                        VectorKernels.MultiplyAdd(da, 1f, dH.AsSpan(j * Dim, Dim));
                    }
                }
            }
        }
    }

    public void AddRowL2(ReadOnlySpan<int> users, ReadOnlySpan<int> items, float coefficient)
    {
        _users.AddScaledRows(users, coefficient);
        _items.AddScaledRows(items, coefficient);
    }

    /// <summary>True when the history changes the user vector (g &lt; 1), so a new user can be scored from it alone.</summary>
    public bool UsesHistory => _history != 0;

    /// <summary>
    /// A user the model has no row for, from her history alone: <c>x = (1 - g) W agg(H)</c> with e_u = 0 (so user
    /// attention's query is zero: uniform weights over the history, padded slots included). H is the distinct items
    /// in ascending order, truncated to the last HistoryLength as in training; normalised for cosine as
    /// <see cref="Export"/> normalises.
    /// </summary>
    public float[] NewUserVector(ReadOnlySpan<int> history)
    {
        int[] items = [.. history.ToArray().Distinct().Order()];
        if (_historyLength > 0 && items.Length > _historyLength)
        {
            items = items[^_historyLength..];
        }
        var a = new float[Dim];
        var x = new float[Dim];
        if (_aggregator == SimpleXAggregator.Mean)
        {
            Aggregate(items, -1, a);
        }
        else
        {
            AttendItems(_aggregator == SimpleXAggregator.UserAttention ? new float[Dim] : Query(0), items, TransposeKeyWeights(new float[Dim * Dim]), a);
        }
        AddProjected(a, _history, x);
        if (Score == ScoreKind.Cosine)
        {
            float norm = MathF.Max(MathF.Sqrt(VectorKernels.SumOfSquares<float>(x)), 1e-12f);
            VectorKernels.Multiply<float>(x, 1f / norm, x);
        }
        return x;
    }

    /// <summary>Every user with the full history (no target left out), normalised for cosine.</summary>
    public FactorModel Export(ParallelRunner runner)
    {
        var users = new float[UserCount * Dim];
        var a = new float[Dim];
        float[]? keyWeightsT = _aggregator == SimpleXAggregator.Mean ? null : TransposeKeyWeights(new float[Dim * Dim]);
        for (int u = 0; u < UserCount; u++)
        {
            Span<float> x = users.AsSpan(u * Dim, Dim);
            VectorKernels.Multiply<float>(_users.Values.AsSpan(u * Dim, Dim), _gamma, x);
            if (_history != 0)
            {
                if (_aggregator == SimpleXAggregator.Mean)
                {
                    Aggregate(u, -1, a);
                }
                else
                {
                    AttendFullHistory(u, keyWeightsT!, a);
                }
                AddProjected(a, _history, x);
            }
        }
        return FactorModel.OfVectors(users, _items.Values.ToArray(), Dim, _evaluationScore);
    }
}
