using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

BenchmarkSwitcher.FromAssembly(typeof(ScoringBenchmarks).Assembly).Run(args);

/// <summary>Blocked scoring of 64 users against 1,024 items, dim 64: 8.4 MFLOP per call.</summary>
[MemoryDiagnoser]
public class ScoringBenchmarks
{
    private readonly float[] _users = new float[64 * 64];
    private readonly float[] _itemsT = new float[64 * 1024];
    private readonly float[] _scores = new float[64 * 1024];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Xoshiro256(1);
        for (int i = 0; i < _users.Length; i++) { _users[i] = (float)rng.NextGaussian(); }
        for (int i = 0; i < _itemsT.Length; i++) { _itemsT[i] = (float)rng.NextGaussian(); }
    }

    [Benchmark]
    public void BlockedScore() => BlockedScoring.Score(_users, 64, 64, _itemsT, 1024, _scores);

    [Benchmark(Baseline = true)]
    public void ScalarScore() => BlockedScoring.ScoreScalar(_users, 64, 64, _itemsT, 1024, _scores);
}

/// <summary>Loss + gradient of one training row (MML or BSL, 100 and 800 negatives, dim 64), cosine with cached norms;
/// and the row's scoring alone. MML's margins leave most negatives without a gradient, BSL gives every one.</summary>
[MemoryDiagnoser]
public class RowKernelBenchmarks
{
    private float[] _items = [];
    private float[] _inverseNorms = [];
    private int[] _indices = [];
    private int _lists, _next;
    private readonly float[] _user = new float[64];
    private float[] _tilde = new float[64], _grad = new float[64], _scores = [], _a = [], _b = [];
    private readonly MultiMarginLoss _loss = MultiMarginLoss.Yelp2018;
    private readonly BilateralSoftmaxLoss _bsl = new();

    [Params(100, 800)]
    public int Negatives { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const int items = 38048;
        var rng = new Xoshiro256(2);
        _items = new float[items * 64];
        for (int i = 0; i < _items.Length; i++) { _items[i] = (float)rng.NextGaussian(); }
        _inverseNorms = new float[items];
        for (int i = 0; i < items; i++) { _inverseNorms[i] = 1f / MathF.Sqrt(VectorKernels.SumOfSquares<float>(_items.AsSpan(i * 64, 64))); }
        for (int d = 0; d < 64; d++) { _user[d] = (float)rng.NextGaussian(); }
        // Index lists over the whole table, one per call in turn, so rows come from L3 as in training (one fixed
        // list would keep its rows in L1/L2 and time a case training never sees).
        _lists = Math.Max(64, 4 * items / (Negatives + 1) + 1);
        _indices = Enumerable.Range(0, _lists * (Negatives + 1)).Select(_ => rng.NextInt(items)).ToArray();
        _scores = new float[Negatives + 1];
        _a = new float[Negatives + 1];
        _b = new float[Negatives + 1];
        _tilde = new float[64];
        _grad = new float[64];
    }

    [Benchmark]
    public float Row() => NextRow(_loss);

    [Benchmark]
    public float RowBsl() => NextRow(_bsl);

    private float NextRow<TLoss>(in TLoss loss) where TLoss : struct, IRowLoss
    {
        int n = Negatives + 1;
        _next = (_next + 1) % _lists;
        return RowKernel.ForwardBackward(loss, ScoreKind.Cosine, _user, _items, 64, _indices.AsSpan(_next * n, n), default, 1f / 512, _inverseNorms,
            _tilde, _grad, _scores, _a, _b);
    }

    [Benchmark]
    public float BslLossOnly()
    {
        int n = Negatives + 1;
        return _bsl.Evaluate<float>(_scores[0], _scores.AsSpan(1, n - 1), out _, _a.AsSpan(1, n - 1));
    }

    [Benchmark]
    public float ScoreOnly()
    {
        int n = Negatives + 1;
        _next = (_next + 1) % _lists;
        RowKernel.Score<float>(ScoreKind.Cosine, _user, _items, 64, _indices.AsSpan(_next * n, n), _inverseNorms, _scores, _b);
        return _scores[n - 1];
    }
}

/// <summary>Adam on one 64-wide row: one data-gradient step, and a replay of 60 idle steps (a user's typical gap on Yelp2018).</summary>
[MemoryDiagnoser]
public class AdamBenchmarks
{
    private EmbeddingTable _table = new(1, 64);
    private ReplayAdamOptimizer _optimizer = null!;
    private SparseGradient _gradient = new(64, 1);

    [GlobalSetup]
    public void Setup()
    {
        _table = new EmbeddingTable(2, 64);
        _table.InitializeNormal(0.01, 1, 1);
        _optimizer = new ReplayAdamOptimizer(new AdamOptions(), [_table], new ParallelRunner(1));
        _gradient = new SparseGradient(64, 1);
    }

    [Benchmark]
    public void StepThenReplay60()
    {
        // Row 0 takes a data-gradient step; row 1 idles, then is caught up over 60 steps.
        for (int s = 0; s < 60; s++)
        {
            _gradient.Counts[0] = 1;
            _gradient.Rows[0][0] = 0;
            _gradient.Value(0, 0).Fill(1e-3f);
            _optimizer.Step(_gradient);
        }
        _optimizer.CatchUpSerial(0, [1]);
    }
}

/// <summary>The deferred replay alone: 4,096 idle rows (dim 64) brought up to date over 60 regulariser-only steps,
/// the users' case at 100 negatives (a user row is read about every 60 steps). 15.7 M element-steps per call.</summary>
[InvocationCount(1)]
public class ReplayBenchmarks
{
    private const int Rows = 4096, Steps = 60;
    private ReplayAdamOptimizer _optimizer = null!;
    private SparseGradient _empty = new(64, 0);
    private int[] _rows = [];

    [GlobalSetup]
    public void Setup()
    {
        var table = new EmbeddingTable(Rows, 64);
        table.InitializeNormal(0.01, 1, 1);
        _optimizer = new ReplayAdamOptimizer(new AdamOptions(), [table], new ParallelRunner(1));
        _empty = new SparseGradient(64, 0);
        _rows = Enumerable.Range(0, Rows).ToArray();
    }

    [IterationSetup]
    public void TakeIdleSteps()
    {
        for (int s = 0; s < Steps; s++)
        {
            _optimizer.Step(_empty);
        }
    }

    [Benchmark]
    public void Replay60StepsOf4096Rows() => _optimizer.CatchUpSerial(0, _rows);
}

/// <summary>Full-ranking top-20 of 2,048 users over 38,048 items (the Yelp2018 catalogue size), dim 64.</summary>
[MemoryDiagnoser]
public class TopKBenchmarks
{
    private FactorModel _model = null!;
    private InteractionMatrix _train = null!, _test = null!;
    private Evaluator _evaluator = null!;

    /// <summary>Users per job x items per block: the former default and the current one.</summary>
    [Params("60x1024", "240x256")]
    public string Blocks { get; set; } = "240x256";

    [GlobalSetup]
    public void Setup()
    {
        const int users = 2048, items = 38048;
        var rng = new Xoshiro256(3);
        float[] u = new float[users * 64], v = new float[items * 64];
        for (int i = 0; i < u.Length; i++) { u[i] = (float)rng.NextGaussian(); }
        for (int i = 0; i < v.Length; i++) { v[i] = (float)rng.NextGaussian(); }
        _model = new FactorModel(users, items, 64, u, v);
        int[] us = Enumerable.Range(0, users * 40).Select(k => k / 40).ToArray();
        _train = InteractionMatrix.FromPairs(users, items, us, us.Select(_ => rng.NextInt(items)).ToArray(), out _);
        _test = InteractionMatrix.FromPairs(users, items, us, us.Select(_ => rng.NextInt(items)).ToArray(), out _);
        int[] blocks = Blocks.Split('x').Select(int.Parse).ToArray();
        _evaluator = new Evaluator(new EvaluatorOptions { Ks = [20], UserBlock = blocks[0], ItemBlock = blocks[1] }, new ParallelRunner(1));
    }

    [Benchmark]
    public double EvaluateTop20() => _evaluator.Evaluate(_model, _train, _test).Metrics[0].Recall;
}
