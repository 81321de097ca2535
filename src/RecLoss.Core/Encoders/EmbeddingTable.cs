using RecLoss.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>How embedding tables start.</summary>
public enum InitKind
{
    /// <summary>N(0, std^2) (the MF, SimpleX and LightGCN references).</summary>
    Normal,

    /// <summary>U(-a, a) with a = sqrt(6 / (rows + dim)) per table (torch's xavier_uniform_; the BSL code).</summary>
    XavierUniform,
}

/// <summary>A dense [rows, dim] float table stored row-major in one array.</summary>
public sealed class EmbeddingTable
{
    public EmbeddingTable(int rows, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        Rows = rows;
        Dim = dim;
        Weights = new FloatBuffer((long)rows * dim);
    }

    /// <summary>A table over an existing [rows, dim] array (an encoder's parameter block), not a copy.</summary>
    public EmbeddingTable(int rows, int dim, FloatBuffer weights)
    {
        if (weights.Length != (long)rows * dim)
        {
            throw new ArgumentException($"{weights.Length} weights for {rows} x {dim}.", nameof(weights));
        }
        Rows = rows;
        Dim = dim;
        Weights = weights;
    }

    public int Rows { get; }

    public int Dim { get; }

    /// <summary>[rows, dim], row-major, line-aligned (a 64-float row fills four cache lines).</summary>
    public FloatBuffer Weights { get; }

    public Span<float> Row(int index) => Weights.AsSpan(index * Dim, Dim);

    /// <summary>Fills rows [first, end) (default: all) with N(0, std^2) draws; row first + k uses stream (seed, tag, k),
    /// so the result is order-free and a range fills as a table of its own would.</summary>
    public void InitializeNormal(double std, ulong seed, ulong tableTag, int first = 0, int end = -1)
    {
        for (int r = first; r < (end < 0 ? Rows : end); r++)
        {
            var rng = Xoshiro256.ForStream(seed, tableTag, (ulong)(r - first));
            Span<float> row = Row(r);
            for (int d = 0; d < row.Length; d++)
            {
                row[d] = (float)(std * rng.NextGaussian());
            }
        }
    }

    /// <summary>Fills rows [first, end) (default: all) with U(-a, a) draws, a = sqrt(6 / (end - first + dim)): Xavier
    /// uniform of the range as a table of its own, row first + k from stream (seed, tag, k).</summary>
    public void InitializeXavierUniform(ulong seed, ulong tableTag, int first = 0, int end = -1)
    {
        end = end < 0 ? Rows : end;
        double bound = Math.Sqrt(6.0 / (end - first + Dim));
        for (int r = first; r < end; r++)
        {
            var rng = Xoshiro256.ForStream(seed, tableTag, (ulong)(r - first));
            Span<float> row = Row(r);
            for (int d = 0; d < row.Length; d++)
            {
                row[d] = (float)((2 * rng.NextDouble() - 1) * bound);
            }
        }
    }

    /// <summary>Rows [first, end) as <paramref name="kind"/> says (the std applies to <see cref="InitKind.Normal"/>).</summary>
    public void Initialize(InitKind kind, double std, ulong seed, ulong tableTag, int first = 0, int end = -1)
    {
        if (kind == InitKind.XavierUniform)
        {
            InitializeXavierUniform(seed, tableTag, first, end);
        }
        else
        {
            InitializeNormal(std, seed, tableTag, first, end);
        }
    }
}
