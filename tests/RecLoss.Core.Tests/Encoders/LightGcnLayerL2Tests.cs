using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Encoders;

/// <summary>The BSL code's LightGCN options: L2 on every layer, Xavier-uniform start, evaluation with another score.</summary>
public class LightGcnLayerL2Tests
{
    private const int Dim = 4;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Backward_WithLayerL2_MatchesFiniteDifferences(int layers)
    {
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        var encoder = new LightGcn(train, new LightGcnOptions { Dim = Dim, Layers = layers, InitStd = 0.7, LayerL2 = true }, 5);
        var runner = new ParallelRunner(2);
        int[] users = [0, 2, 2, 5, 6];
        int[] targets = [3, 6, 8, 2, 4];
        int[] l2Items = [3, 6, 8, 8, 1];            // repeats count once per occurrence
        const float lambda = 0.8f;
        var rng = new Xoshiro256(29);
        float[] c = [.. Enumerable.Range(0, users.Length * Dim).Select(_ => (float)rng.NextGaussian())];
        float[] cItems = [.. Enumerable.Range(0, train.ItemCount * Dim).Select(_ => (float)rng.NextGaussian())];

        encoder.BeginStepOnAll(runner);
        encoder.Parameters[0].Gradient.Clear();
        encoder.SetLayerL2(users, l2Items, lambda);
        encoder.Backward(users, targets, c, (float[])cItems.Clone(), [.. Enumerable.Range(0, train.ItemCount)], runner);
        float[] analytic = encoder.Parameters[0].Gradient.ToArray();

        FloatBuffer e0 = encoder.Parameters[0].Values;
        for (int k = 0; k < e0.Length; k++)
        {
            float saved = e0[k];
            const float h = 1e-2f;
            e0[k] = saved + h;
            double up = Objective(encoder, train, users, c, cItems, l2Items, lambda, layers);
            e0[k] = saved - h;
            double down = Objective(encoder, train, users, c, cItems, l2Items, lambda, layers);
            e0[k] = saved;
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[k]) <= 2e-3 * (1 + Math.Abs(numeric)), $"K {layers} element {k}: numeric {numeric}, analytic {analytic[k]}");
        }
    }

    [Fact]
    public void WithoutL2Rows_LayerL2BuildGivesTheSameVectors_AndTheSameGradientUpToRounding()
    {
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        var plain = new LightGcn(train, new LightGcnOptions { Dim = Dim, Layers = 3, InitStd = 0.5 }, 9);
        var layered = new LightGcn(train, new LightGcnOptions { Dim = Dim, Layers = 3, InitStd = 0.5, LayerL2 = true }, 9);
        var runner = new ParallelRunner(1);
        int[] users = [1, 4, 4];
        float[] c = [.. Enumerable.Range(0, users.Length * Dim).Select(k => (float)Math.Sin(k))];
        float[] cItems = [.. Enumerable.Range(0, train.ItemCount * Dim).Select(k => (float)Math.Cos(k))];
        float[] gradient(LightGcn e)
        {
            e.BeginStepOnAll(runner);
            e.Parameters[0].Gradient.Clear();
            e.Backward(users, users, c, (float[])cItems.Clone(), [.. Enumerable.Range(0, train.ItemCount)], runner);
            return e.Parameters[0].Gradient.ToArray();
        }
        float[] a = gradient(plain), b = gradient(layered);
        Assert.Equal(plain.ItemVectors.ToArray(), layered.ItemVectors.ToArray());
        for (int k = 0; k < a.Length; k++)
        {
            Assert.True(Math.Abs(a[k] - b[k]) <= 1e-5f * (1 + Math.Abs(a[k])), $"element {k}: {a[k]} vs {b[k]}");
        }
        // A step's rows are used once: a second backward without SetLayerL2 adds no L2.
        layered.SetLayerL2(users, [0, 1], 5f);
        _ = gradient(layered);
        float[] again = gradient(layered);
        Assert.True(again.Zip(a).All(p => Math.Abs(p.First - p.Second) <= 1e-5f * (1 + Math.Abs(p.Second))));
        Assert.Throws<InvalidOperationException>(() => plain.SetLayerL2(users, [0], 1f));
    }

    [Fact]
    public void XavierUniform_DrawsEachRangeWithinItsOwnBound()
    {
        InteractionMatrix train = SyntheticData.Generate(new SyntheticDataOptions { Users = 400, Items = 900, Seed = 3 }).Train;
        var encoder = new LightGcn(train, new LightGcnOptions { Dim = 16, Init = InitKind.XavierUniform }, 11);
        FloatBuffer e0 = encoder.Parameters[0].Values;
        int users = train.UserCount * 16;
        AssertUniform(e0.AsSpan(0, users), Math.Sqrt(6.0 / (train.UserCount + 16)));
        AssertUniform(e0.AsSpan(users), Math.Sqrt(6.0 / (train.ItemCount + 16)));
        var again = new LightGcn(train, new LightGcnOptions { Dim = 16, Init = InitKind.XavierUniform }, 11);
        Assert.Equal(e0, again.Parameters[0].Values);
        var mf = new MatrixFactorization(train.UserCount, train.ItemCount, new MatrixFactorizationOptions { Dim = 16, Init = InitKind.XavierUniform }, 11);
        AssertUniform(mf.Users.Weights, Math.Sqrt(6.0 / (train.UserCount + 16)));
        Assert.Equal(e0.AsSpan(0, users).ToArray(), mf.Users.Weights);     // the same streams as LightGCN's user range
    }

    private static void AssertUniform(ReadOnlySpan<float> values, double bound)
    {
        double sumSquares = 0, max = 0;
        foreach (float v in values)
        {
            sumSquares += (double)v * v;
            max = Math.Max(max, Math.Abs(v));
        }
        Assert.True(max <= bound, $"|value| {max} above the bound {bound}");
        Assert.True(max > 0.95 * bound, $"largest |value| {max} far inside the bound {bound}");
        double variance = sumSquares / values.Length, expected = bound * bound / 3;
        Assert.True(Math.Abs(variance - expected) < 0.05 * expected, $"variance {variance}, U(-a, a) has {expected}");
    }

    [Fact]
    public void EvaluationScore_ExportsRawVectorsForDot_AndUnitVectorsForCosine()
    {
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        var runner = new ParallelRunner(1);
        var dot = new LightGcn(train, new LightGcnOptions { Dim = Dim, InitStd = 0.5, Score = ScoreKind.Cosine, EvaluationScore = ScoreKind.Dot }, 4);
        var cosine = new LightGcn(train, new LightGcnOptions { Dim = Dim, InitStd = 0.5, Score = ScoreKind.Cosine }, 4);
        dot.BeginStepOnAll(runner);
        RecLoss.Core.Models.FactorModel raw = dot.Export(runner), unit = cosine.Export(runner);
        Assert.Equal(dot.ItemVectors.ToArray(), raw.ItemFactors);
        for (int i = 0; i < train.ItemCount; i++)
        {
            float norm = MathF.Sqrt(VectorKernels.SumOfSquares<float>(unit.Item(i)));
            Assert.InRange(norm, 0.9999f, 1.0001f);
            Assert.NotInRange(MathF.Sqrt(VectorKernels.SumOfSquares<float>(raw.Item(i))), 0.99f, 1.01f);
        }
    }

    /// <summary>sum_r c_r . x_r + sum_i C_i . v_i + lambda/2 sum_occurrences sum_k |E_k[n]|^2, the layers in double.</summary>
    private static double Objective(LightGcn encoder, InteractionMatrix train, int[] users, float[] c, float[] cItems, int[] l2Items, float lambda, int layers)
    {
        double f = EncoderGradientTests.Probe(encoder, users, users, c, cItems, new ParallelRunner(1));
        SparseMatrix a = encoder.Adjacency;
        double[] layer = [.. encoder.Parameters[0].Values.ToArray().Select(value => (double)value)];
        int[] nodes = [.. users, .. l2Items.Select(i => train.UserCount + i)];
        for (int k = 0; k <= layers; k++)
        {
            foreach (int n in nodes)
            {
                for (int d = 0; d < Dim; d++)
                {
                    f += lambda / 2.0 * layer[n * Dim + d] * layer[n * Dim + d];
                }
            }
            var next = new double[layer.Length];
            for (int r = 0; r < a.Rows; r++)
            {
                for (int p = a.RowPointers[r]; p < a.RowPointers[r + 1]; p++)
                {
                    for (int d = 0; d < Dim; d++)
                    {
                        next[r * Dim + d] += a.Values[p] * layer[a.Columns[p] * Dim + d];
                    }
                }
            }
            layer = next;
        }
        return f;
    }

    // With layer L2 the backward adds G and the L2 rows back after every product (Horner's rule), so the rows that can
    // be nonzero are re-flagged each time; the sparse products must give the full products' bits. A step after another
    // (other rows, stale buffers) must give what a fresh encoder gives: G and the first product's rows are reset per step.
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Backward_WithLayerL2_SparseProducts_EqualTheFullProducts_BitForBit(int layers)
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 4, Seed = 2 });
        float[] Gradient(bool full, bool afterAnotherStep)
        {
            var encoder = new LightGcn(data.Train, new LightGcnOptions { Dim = 64, Layers = layers, InitStd = 0.3, LayerL2 = true }, 4)
            {
                FullBackwardProducts = full,
            };
            var runner = new ParallelRunner(2);
            encoder.BeginStepOnAll(runner);
            float[] itemGradients = [.. Enumerable.Range(0, data.Train.ItemCount * 64).Select(k => (float)Math.Cos(k))];
            if (afterAnotherStep)
            {
                int[] before = [8, 9, 3, 250];
                encoder.SetLayerL2(before, [1, 2, 30, 5], 0.5f);
                encoder.Backward(before, before, [.. Enumerable.Range(0, before.Length * 64).Select(k => (float)Math.Cos(k + 3))],
                    (float[])itemGradients.Clone(), [1, 2, 5, 40], runner);
            }
            encoder.Parameters[0].Gradient.Clear();
            int[] users = [3, 7, 7, 11];
            int[] itemRows = [0, 5];
            float[] userGradients = [.. Enumerable.Range(0, users.Length * 64).Select(k => (float)Math.Sin(k + 1))];
            encoder.SetLayerL2(users, [0, 5, 17], 0.25f);   // item 17: an L2 row without a gradient
            encoder.Backward(users, users, userGradients, itemGradients, itemRows, runner);
            return encoder.Parameters[0].Gradient.ToArray();
        }
        int[] expected = [.. Gradient(full: true, afterAnotherStep: false).Select(BitConverter.SingleToInt32Bits)];
        Assert.Equal(expected, Gradient(full: false, afterAnotherStep: false).Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expected, Gradient(full: false, afterAnotherStep: true).Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expected, Gradient(full: true, afterAnotherStep: true).Select(BitConverter.SingleToInt32Bits));
    }

    // The backward with layer L2 against the whole-array recurrence written out here, bit for bit: R = s G + H_K, then
    // R = A R + s G + H_k for k = K-1..0, gradient = 0 + R; after another step, so that stale rows would show.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Backward_WithLayerL2_IsTheWholeArrayRecurrence_BitForBit(int layers)
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 4, Seed = 2 });
        const int dim = 64;
        var encoder = new LightGcn(data.Train, new LightGcnOptions { Dim = dim, Layers = layers, InitStd = 0.3, LayerL2 = true }, 4);
        var runner = new ParallelRunner(2);
        float[] itemGradients = [.. Enumerable.Range(0, data.Train.ItemCount * dim).Select(k => (float)Math.Cos(k))];
        int[] before = [8, 9, 3, 250];
        encoder.BeginStepOnAll(runner);
        encoder.SetLayerL2(before, [1, 2, 30, 5], 0.5f);
        encoder.Backward(before, before, [.. Enumerable.Range(0, before.Length * dim).Select(k => (float)Math.Cos(k + 3))], (float[])itemGradients.Clone(),
            [1, 2, 5, 40], runner);

        int[] users = [3, 7, 7, 11];
        int[] itemRows = [.. new[] { data.Train.Row(3)[0], 5 }.Distinct()];   // user 3's own item, as in a batch
        int[] l2Items = [.. itemRows, 17];   // item 17: an L2 row without a gradient
        float[] userGradients = [.. Enumerable.Range(0, users.Length * dim).Select(k => (float)Math.Sin(k + 1))];
        encoder.BeginStep(users, l2Items, [], runner);
        encoder.Parameters[0].Gradient.Clear();
        encoder.SetLayerL2(users, l2Items, 0.25f);
        encoder.Backward(users, users, userGradients, (float[])itemGradients.Clone(), itemRows, runner);

        int nodes = data.Train.UserCount + data.Train.ItemCount, u0 = data.Train.UserCount;
        SparseMatrix a = encoder.Adjacency;
        var layer = new float[layers + 1][];
        layer[0] = encoder.Parameters[0].Values.ToArray();
        for (int k = 1; k <= layers; k++)
        {
            layer[k] = new float[nodes * dim];
            a.MultiplyRows(0, nodes, layer[k - 1], dim, layer[k]);
        }
        var g = new float[nodes * dim];
        for (int r = 0; r < users.Length; r++)
        {
            VectorKernels.MultiplyAdd<float>(userGradients.AsSpan(r * dim, dim), 1f, g.AsSpan(users[r] * dim, dim));
        }
        foreach (int i in itemRows)
        {
            itemGradients.AsSpan(i * dim, dim).CopyTo(g.AsSpan((u0 + i) * dim, dim));
        }
        var weight = new Dictionary<int, float>();
        foreach (int n in users.Concat(l2Items.Select(i => u0 + i)))
        {
            weight[n] = weight.GetValueOrDefault(n) + 0.25f;
        }
        float scale = 1f / (layers + 1);
        void AddLayer(float[] target, int k)
        {
            foreach ((int n, float w) in weight)
            {
                VectorKernels.MultiplyAdd<float>(layer[k].AsSpan(n * dim, dim), w, target.AsSpan(n * dim, dim));
            }
        }
        var r0 = new float[nodes * dim];
        VectorKernels.Multiply<float>(g, scale, r0);
        AddLayer(r0, layers);
        for (int k = layers - 1; k >= 0; k--)
        {
            var next = new float[nodes * dim];
            a.MultiplyRows(0, nodes, r0, dim, next);
            VectorKernels.MultiplyAdd<float>(g, scale, next);
            AddLayer(next, k);
            r0 = next;
        }
        var expected = new float[nodes * dim];
        VectorKernels.MultiplyAdd<float>(r0, 1f, expected);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), encoder.Parameters[0].Gradient.ToArray().Select(BitConverter.SingleToInt32Bits));
    }
}
