using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>Options of LightGCN (He et al., 2020; reference: LightGCN-PyTorch).</summary>
public sealed class LightGcnOptions
{
    public int Dim { get; init; } = 64;

    /// <summary>Propagation layers K (reference: 3).</summary>
    public int Layers { get; init; } = 3;

    /// <summary>Std of the N(0, std^2) initialisation (reference: 0.1).</summary>
    public double InitStd { get; init; } = 0.1;

    /// <summary>Dot product as the reference; cosine normalises the final vectors in the row kernel.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Dot;

    /// <summary>How E0 starts: normal with <see cref="InitStd"/>, or Xavier uniform over the user rows and the item
    /// rows as two tables (the BSL code).</summary>
    public InitKind Init { get; init; } = InitKind.Normal;

    /// <summary>The exported model's score; null: <see cref="Score"/>.</summary>
    public ScoreKind? EvaluationScore { get; init; }

    /// <summary>L2 on every layer's vectors of the batch's rows (the BSL code), not on layer 0 only: the trainer hands
    /// the rows to <see cref="LightGcn.SetLayerL2"/> and the backward pass adds the term.</summary>
    public bool LayerL2 { get; init; }
}

/// <summary>
/// LightGCN: <c>E = 1/(K+1) sum_{k=0..K} A^k E0</c> with <c>A = D^-1/2 [[0, R], [R^T, 0]] D^-1/2</c> the symmetric
/// normalised adjacency of the user-item graph (no self-loops), E0 the [users + items, dim] layer-0 table. No weights,
/// no non-linearity. A is symmetric, so the backward pass is the same propagation applied to dL/dE.
/// </summary>
public sealed partial class LightGcn : IEncoder, ILayerL2Encoder
{
    private const int RowChunk = 256;

    private readonly SparseMatrix _adjacency;
    private readonly FloatBuffer _final, _layerA, _layerB, _gradientIn;   // [nodes, dim] each
    private readonly FloatBuffer _gradientOut;   // [nodes, dim] with layer L2 (Horner's ping-pong buffer), else empty
    private readonly int _layers;
    private readonly ParameterBlock _nodes;
    private readonly ScoreKind _evaluationScore;
    private readonly FloatBuffer[]? _layerVectors;      // [K][nodes, dim]: A^k E0 of this step on its rows S_k (layer L2 only)
    private readonly float[]? _l2Weight;            // [nodes]: lambda/B x the node's occurrences in the batch
    private readonly List<int> _l2Nodes = [];
    private FloatBuffer _input = new(0), _output = new(0);
    private readonly Action<int, int> _multiply, _multiplySparse;
    private bool[] _support, _touched;   // [nodes]: rows of the backward's input that may be nonzero, and of its output
    private bool _supportAll;

    public LightGcn(InteractionMatrix train, LightGcnOptions options, ulong seed)
    {
        if (options.Layers < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Layers, "Layers must be >= 0.");
        }
        Dim = options.Dim;
        Score = options.Score;
        _evaluationScore = options.EvaluationScore ?? options.Score;
        UserCount = train.UserCount;
        ItemCount = train.ItemCount;
        _layers = options.Layers;
        _adjacency = NormalizedAdjacency(train);
        int nodes = UserCount + ItemCount;
        var e0 = new EmbeddingTable(nodes, Dim);
        e0.Initialize(options.Init, options.InitStd, seed, 0xE5E1, 0, UserCount);
        e0.Initialize(options.Init, options.InitStd, seed, 0x17E3, UserCount, nodes);
        _nodes = new ParameterBlock("embeddings", nodes, Dim, e0.Weights, true);
        Parameters = [_nodes];
        _final = new FloatBuffer((long)nodes * Dim);
        _layerA = new FloatBuffer(_final.Length);
        _layerB = new FloatBuffer(_final.Length);
        _gradientIn = new FloatBuffer(_final.Length);
        _gradientOut = new FloatBuffer(options.LayerL2 ? _final.Length : 0);
        _multiply = MultiplyRows;
        _multiplySparse = MultiplyRowsSparse;
        _support = new bool[nodes];
        _touched = new bool[nodes];
        _needed = new bool[_layers + 1][];
        for (int k = 0; k <= _layers; k++)
        {
            _needed[k] = new bool[nodes];
        }
        _stepNodes = new int[nodes];
        _stepDepth = new int[nodes];
        _gradientRows = new int[nodes];
        _isGradientRow = new bool[nodes];
        _multiplyFlagged = MultiplyFlaggedRows;
        _assembleRows = AssembleRows;
        if (options.LayerL2)
        {
            _layerVectors = new FloatBuffer[_layers];
            for (int k = 0; k < _layers; k++)
            {
                _layerVectors[k] = new FloatBuffer(_final.Length);
            }
            _l2Weight = new float[nodes];
        }
    }

    public string Name => "lightgcn";

    public int Dim { get; }

    public int UserCount { get; }

    public int ItemCount { get; }

    public ScoreKind Score { get; }

    public IReadOnlyList<ParameterBlock> Parameters { get; }

    /// <summary>Tests: every backward product over all rows, not only those that can be nonzero (the same sums).</summary>
    internal bool FullBackwardProducts { get; set; }

    /// <summary>The normalised adjacency (for tests and the benchmark).</summary>
    public SparseMatrix Adjacency => _adjacency;

    public ReadOnlySpan<float> ItemVectors => _final.AsSpan(UserCount * Dim);

    public void UserVectors(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, Span<float> output, ParallelRunner runner)
    {
        for (int r = 0; r < users.Length; r++)
        {
            _final.AsSpan(users[r] * Dim, Dim).CopyTo(output.Slice(r * Dim, Dim));
        }
    }

    public bool ReadsFewRows => false;

    public void CollectRows(ReadOnlySpan<int> users, ReadOnlySpan<int> items, RowSet[] rows) =>
        throw new NotSupportedException("LightGCN reads most rows at every step (the propagation) and steps every row.");

    public void AddRowL2(ReadOnlySpan<int> users, ReadOnlySpan<int> items, float coefficient)
    {
        _nodes.AddScaledRows(users, coefficient);
        _nodes.AddScaledRows(items, coefficient, firstRow: UserCount);
    }

    public FactorModel Export(ParallelRunner runner)
    {
        var final = new FloatBuffer(_final.Length);
        Propagate(_nodes.Values, final, runner);
        return FactorModel.OfVectors(final.AsSpan(0, UserCount * Dim).ToArray(), final.AsSpan(UserCount * Dim).ToArray(), Dim, _evaluationScore);
    }

    /// <summary>output = 1/(K+1) sum_{k=0..K} A^k input, layers ping-ponging between two scratch buffers, or kept in
    /// <paramref name="layers"/>[k-1] when given.</summary>
    public void Propagate(FloatBuffer input, FloatBuffer output, ParallelRunner runner, FloatBuffer[]? layers = null)
    {
        input.AsSpan().CopyTo(output);
        FloatBuffer current = input;
        for (int k = 1; k <= _layers; k++)
        {
            FloatBuffer target = LayerBuffer(layers, k);
            _input = current;
            _output = target;
            runner.For(_adjacency.Rows, RowChunk, _multiply);
            VectorKernels.MultiplyAdd<float>(target, 1f, output);
            current = target;
        }
        VectorKernels.Multiply<float>(output, 1f / (_layers + 1), output);
    }

    /// <summary>Where A^k E0 goes: the kept layer when given, else the scratch buffers in turn.</summary>
    private FloatBuffer LayerBuffer(FloatBuffer[]? layers, int k) => layers?[k - 1] ?? (k % 2 == 1 ? _layerA : _layerB);

    private void MultiplyRows(int start, int end) => _adjacency.MultiplyRows(start, end, _input, Dim, _output);

    private void MultiplyRowsSparse(int start, int end) => _adjacency.MultiplyRowsSparse(start, end, _input, Dim, _output, _support, _touched);

    /// <summary>D^-1/2 A D^-1/2 over users 0..U-1 and items U..U+I-1; weight 1/sqrt(deg(u) deg(i)) per edge.</summary>
    public static SparseMatrix NormalizedAdjacency(InteractionMatrix train)
    {
        int users = train.UserCount, items = train.ItemCount, nodes = users + items;
        int[] itemDegree = train.ItemCounts();
        var pointers = new int[nodes + 1];
        for (int u = 0; u < users; u++)
        {
            pointers[u + 1] = pointers[u] + train.RowLength(u);
        }
        for (int i = 0; i < items; i++)
        {
            pointers[users + i + 1] = pointers[users + i] + itemDegree[i];
        }
        var columns = new int[pointers[nodes]];
        var values = new float[columns.Length];
        var cursor = new int[items];
        for (int u = 0; u < users; u++)
        {
            ReadOnlySpan<int> row = train.Row(u);
            int p = pointers[u];
            foreach (int i in row)
            {
                float w = (float)(1 / Math.Sqrt((double)row.Length * itemDegree[i]));
                columns[p] = users + i;
                values[p++] = w;
                int q = pointers[users + i] + cursor[i]++;   // users in ascending order: each item's row is sorted
                columns[q] = u;
                values[q] = w;
            }
        }
        return new SparseMatrix(nodes, nodes, pointers, columns, values);
    }
}
