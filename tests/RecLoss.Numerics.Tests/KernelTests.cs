using RecLoss.Numerics;

namespace RecLoss.Numerics.Tests;

public class VectorKernelsTests
{
    public static IEnumerable<object[]> Lengths() => Enumerable.Range(0, 257).Where(n => n < 40 || n % 7 == 0 || n == 256).Select(n => new object[] { n });

    private static float[] Random(int n, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)rng.NextGaussian();
        }
        return x;
    }

    private static void AssertClose(double expected, double actual, double magnitude) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, magnitude), $"expected {expected}, got {actual}");

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dot_AnyLength_MatchesScalarLoop(int n)
    {
        float[] x = Random(n, 1), y = Random(n, 2);
        double expected = 0, magnitude = 0;
        for (int i = 0; i < n; i++)
        {
            expected += (double)x[i] * y[i];
            magnitude += Math.Abs((double)x[i] * y[i]);
        }
        AssertClose(expected, VectorKernels.Dot<float>(x, y), magnitude);
        float dot = VectorKernels.DotAndSumOfSquares<float>(x, y, out float yy);
        AssertClose(expected, dot, magnitude);
        AssertClose(y.Sum(v => (double)v * v), yy, y.Sum(v => (double)v * v));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MultiplyAdd_OnSliceOfNaNBuffer_WritesOnlyDestination(int n)
    {
        float[] x = Random(n, 3);
        float[] buffer = Enumerable.Repeat(float.NaN, n + 2).ToArray();
        for (int i = 1; i <= n; i++)
        {
            buffer[i] = i;
        }
        VectorKernels.MultiplyAdd<float>(x, 0.5f, buffer.AsSpan(1, n));
        Assert.True(float.IsNaN(buffer[0]) && float.IsNaN(buffer[n + 1]));
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(i + 1 + 0.5f * x[i], buffer[i + 1]);
        }
        VectorKernels.Multiply<float>(x, 2f, buffer.AsSpan(1, n));
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(2f * x[i], buffer[i + 1]);
        }
    }

    [Fact]
    public void Dot_LengthMismatch_Throws() =>
        Assert.Throws<ArgumentException>(() => VectorKernels.Dot<float>(new float[3], new float[4]));
}

public class BlockedScoringTests
{
    [Theory]
    [InlineData(1, 1, 32)]
    [InlineData(4, 64, 64)]
    [InlineData(7, 13, 96)]
    [InlineData(9, 64, 1024)]
    public void Score_MatchesScalarDefinition(int users, int dim, int stride)
    {
        var rng = new Xoshiro256(5);
        float[] u = Enumerable.Range(0, users * dim).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] t = Enumerable.Range(0, dim * stride).Select(_ => (float)rng.NextDouble()).ToArray();
        var fast = new float[users * stride];
        var slow = new float[users * stride];
        BlockedScoring.Score(u, users, dim, t, stride, fast);
        BlockedScoring.ScoreScalar(u, users, dim, t, stride, slow);
        for (int k = 0; k < fast.Length; k++)
        {
            Assert.True(Math.Abs(fast[k] - slow[k]) <= 1e-4f * dim, $"{k}: {fast[k]} vs {slow[k]}");
        }
    }

    [Theory]
    [InlineData(5, 64, 70)]
    [InlineData(4, 3, 32)]
    public void PackThenScore_EqualsDotProductsOfRows(int users, int dim, int items)
    {
        var rng = new Xoshiro256(9);
        float[] u = Enumerable.Range(0, users * dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        float[] rows = Enumerable.Range(0, items * dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        int stride = (items + BlockedScoring.ItemTile - 1) / BlockedScoring.ItemTile * BlockedScoring.ItemTile;
        var panels = new float[stride * dim];
        Assert.Equal(stride, BlockedScoring.Pack(rows, items, dim, panels));
        var scores = new float[users * stride];
        BlockedScoring.Score(u, users, dim, panels, stride, scores);
        for (int a = 0; a < users; a++)
        {
            for (int i = 0; i < stride; i++)
            {
                double expected = 0;
                for (int d = 0; d < dim && i < items; d++)
                {
                    expected += (double)u[a * dim + d] * rows[i * dim + d];
                }
                Assert.True(Math.Abs(scores[a * stride + i] - expected) <= 1e-5 * dim, $"user {a} item {i}: {scores[a * stride + i]} vs {expected}");
            }
        }
    }

    [Fact]
    public void Score_StrideNotMultipleOfTile_Throws() =>
        Assert.Throws<ArgumentException>(() => BlockedScoring.Score(new float[4], 1, 4, new float[4 * 33], 33, new float[33]));
}

public class TopKHeapTests
{
    [Theory]
    [InlineData(1, 10)]
    [InlineData(5, 100)]
    [InlineData(20, 1000)]
    [InlineData(50, 30)]
    public void Push_ThenSort_EqualsFullSortWithIndexTieBreak(int k, int n)
    {
        var rng = new Xoshiro256((ulong)(k * 1000 + n));
        // Few distinct values so ties are common.
        float[] values = Enumerable.Range(0, n).Select(_ => (float)rng.NextInt(10)).ToArray();
        var scores = new float[k];
        var indices = new int[k];
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            count = TopKHeap.Push(scores, indices, count, values[i], i);
        }
        TopKHeap.SortDescending(scores, indices, count);
        int[] expected = Enumerable.Range(0, n).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k).ToArray();
        Assert.Equal(expected, indices.AsSpan(0, count).ToArray());
    }

    [Fact]
    public void Push_NaN_IsNeverKept()
    {
        var scores = new float[2];
        var indices = new int[2];
        int count = TopKHeap.Push(scores, indices, 0, float.NaN, 0);
        Assert.Equal(0, count);
    }
}

public class Xoshiro256Tests
{
    [Fact]
    public void NextInt_Uniform_PassesChiSquare()
    {
        // 10 bins, 100k draws: chi-square with 9 degrees of freedom; 27.88 is the 0.999 quantile.
        var rng = new Xoshiro256(42);
        var counts = new int[10];
        const int draws = 100_000;
        for (int i = 0; i < draws; i++)
        {
            counts[rng.NextInt(10)]++;
        }
        double expected = draws / 10.0;
        double chi = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi < 27.88, $"chi-square {chi}");
    }

    [Fact]
    public void ForStream_DifferentCoordinates_GiveDifferentStreams()
    {
        var a = Xoshiro256.ForStream(1, 2, 3);
        var b = Xoshiro256.ForStream(1, 2, 4);
        var c = Xoshiro256.ForStream(1, 2, 3);
        ulong first = a.NextUInt64();
        Assert.NotEqual(first, b.NextUInt64());
        Assert.Equal(first, c.NextUInt64());
    }
}

public class GatherDotTests
{
    [Theory]
    [InlineData(64, 0)]
    [InlineData(64, 3)]
    [InlineData(64, 101)]
    [InlineData(64, 801)]
    [InlineData(32, 17)]
    [InlineData(7, 9)]
    public void Compute_MatchesDotPerRow(int dim, int count)
    {
        var rng = new Xoshiro256((ulong)(dim * 1000 + count));
        const int rows = 300;
        float[] table = Enumerable.Range(0, rows * dim).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] x = Enumerable.Range(0, dim).Select(_ => (float)rng.NextGaussian()).ToArray();
        int[] indices = Enumerable.Range(0, count).Select(_ => rng.NextInt(rows)).ToArray();
        float[] destination = Enumerable.Repeat(float.NaN, count + 1).ToArray();
        GatherDot.Compute(x, table, indices, destination.AsSpan(0, count));
        for (int k = 0; k < count; k++)
        {
            double expected = 0;
            for (int d = 0; d < dim; d++)
            {
                expected += (double)x[d] * table[indices[k] * dim + d];
            }
            Assert.True(Math.Abs(expected - destination[k]) <= 1e-4 * dim, $"{k}: {expected} vs {destination[k]}");
        }
        Assert.True(float.IsNaN(destination[count]));
    }
}
