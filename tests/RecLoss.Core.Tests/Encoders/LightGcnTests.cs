using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Encoders;

public class LightGcnTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Propagation_EqualsTheDenseMatrixComputation(int layers)
    {
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        const int dim = 5;
        var encoder = new LightGcn(train, new LightGcnOptions { Dim = dim, Layers = layers, InitStd = 1 }, 8);
        int n = train.UserCount + train.ItemCount;
        // Dense A = D^-1/2 [[0, R], [R^T, 0]] D^-1/2 in double.
        var a = new double[n, n];
        int[] itemDegree = train.ItemCounts();
        for (int u = 0; u < train.UserCount; u++)
        {
            foreach (int i in train.Row(u))
            {
                double w = 1 / Math.Sqrt((double)train.RowLength(u) * itemDegree[i]);
                a[u, train.UserCount + i] = w;
                a[train.UserCount + i, u] = w;
            }
        }
        FloatBuffer e0 = encoder.Parameters[0].Values;
        var layer = new double[n, dim];
        var sum = new double[n, dim];
        for (int r = 0; r < n; r++)
        {
            for (int d = 0; d < dim; d++)
            {
                layer[r, d] = e0[r * dim + d];
                sum[r, d] = layer[r, d];
            }
        }
        for (int k = 1; k <= layers; k++)
        {
            var next = new double[n, dim];
            for (int r = 0; r < n; r++)
            {
                for (int c = 0; c < n; c++)
                {
                    for (int d = 0; d < dim; d++)
                    {
                        next[r, d] += a[r, c] * layer[c, d];
                    }
                }
            }
            layer = next;
            for (int r = 0; r < n; r++)
            {
                for (int d = 0; d < dim; d++)
                {
                    sum[r, d] += layer[r, d];
                }
            }
        }
        encoder.BeginStepOnAll(new ParallelRunner(2));
        var users = new float[train.UserCount * dim];
        encoder.UserVectors(Enumerable.Range(0, train.UserCount).ToArray(), default, users, new ParallelRunner(1));
        float[] items = encoder.ItemVectors.ToArray();
        for (int r = 0; r < n; r++)
        {
            for (int d = 0; d < dim; d++)
            {
                double expected = sum[r, d] / (layers + 1);
                float actual = r < train.UserCount ? users[r * dim + d] : items[(r - train.UserCount) * dim + d];
                Assert.True(Math.Abs(expected - actual) <= 1e-5 * (1 + Math.Abs(expected)), $"node {r} dim {d}: {expected} vs {actual}");
            }
        }
    }

    [Fact]
    public void Adjacency_IsSymmetricWithWeightsOneOverRootDegrees()
    {
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        var adjacency = LightGcn.NormalizedAdjacency(train);
        Assert.Equal(2 * train.Count, adjacency.NonZeros);
        var weights = new Dictionary<(int, int), float>();
        for (int r = 0; r < adjacency.Rows; r++)
        {
            for (int p = adjacency.RowPointers[r]; p < adjacency.RowPointers[r + 1]; p++)
            {
                weights[(r, adjacency.Columns[p])] = adjacency.Values[p];
            }
        }
        foreach (((int r, int c), float w) in weights)
        {
            Assert.Equal(w, weights[(c, r)]);
        }
        // User 6 has one item (4), which has two users (2 and 6): weight 1/sqrt(1 * 2).
        Assert.Equal((float)(1 / Math.Sqrt(2)), weights[(6, train.UserCount + 4)]);
    }

    // The backward gathers only the rows of A^k G that can be nonzero (G on the batch's users and the items with a
    // gradient): the gradient must be the full propagation's, bit for bit.
    [Theory]
    [InlineData(64, 1)]
    [InlineData(64, 3)]
    [InlineData(12, 2)]
    public void Backward_IsTheFullPropagationOfTheBatchGradient_BitForBit(int dim, int layers)
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 4, Seed = 2 });
        InteractionMatrix train = data.Train;
        var encoder = new LightGcn(train, new LightGcnOptions { Dim = dim, Layers = layers, InitStd = 0.3 }, 4);
        var runner = new ParallelRunner(2);
        encoder.BeginStepOnAll(runner);
        int[] users = [3, 7, 7, 11];
        int[] itemRows = [.. new[] { train.Row(3)[0], 5, 9 }.Distinct()];   // user 3's own item: G's rows are neighbours, as in a batch
        float[] userGradients = [.. Enumerable.Range(0, users.Length * dim).Select(k => (float)Math.Sin(k + 1))];
        var itemGradients = new float[train.ItemCount * dim];
        foreach (int i in itemRows)
        {
            for (int d = 0; d < dim; d++)
            {
                itemGradients[i * dim + d] = (float)Math.Cos(i * dim + d);
            }
        }
        encoder.Backward(users, users, userGradients, itemGradients, itemRows, runner);

        int nodes = train.UserCount + train.ItemCount;
        var input = new FloatBuffer(nodes * dim);
        for (int r = 0; r < users.Length; r++)
        {
            VectorKernels.MultiplyAdd<float>(userGradients.AsSpan(r * dim, dim), 1f, input.AsSpan(users[r] * dim, dim));
        }
        foreach (int i in itemRows)
        {
            itemGradients.AsSpan(i * dim, dim).CopyTo(input.AsSpan((train.UserCount + i) * dim, dim));
        }
        var propagated = new FloatBuffer(nodes * dim);
        encoder.Propagate(input, propagated, new ParallelRunner(1));
        var expected = new float[nodes * dim];
        VectorKernels.MultiplyAdd<float>(propagated, 1f, expected);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), encoder.Parameters[0].Gradient.ToArray().Select(BitConverter.SingleToInt32Bits));
        if (layers == 1)
        {
            Assert.Contains(expected, v => v == 0f);   // rows out of one hop's reach stay zero: the product had rows to skip
        }
    }

    // A training step propagates only what its read rows need (E_K on them, E_k on the k-hop neighbourhood): their
    // final vectors must be the whole propagation's, bit for bit, step after step (the other rows go stale).
    [Theory]
    [InlineData(64, 0, 3)]
    [InlineData(64, 1, 3)]
    [InlineData(64, 3, 3)]
    [InlineData(12, 2, 3)]
    [InlineData(64, 3, 120)]
    [InlineData(64, 4, 40)]
    public void StepForward_TheReadRowsAreTheWholePropagations_BitForBit(int dim, int layers, int readUsers)
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 300, Items = 200, MeanInteractions = 4, Seed = 5 });
        var options = new LightGcnOptions { Dim = dim, Layers = layers, InitStd = 0.3, LayerL2 = layers % 2 == 1 };
        var whole = new LightGcn(data.Train, options, 6) { FullForward = true };
        var step = new LightGcn(data.Train, options, 6);
        var runner = new ParallelRunner(2);
        var rng = new Random(9);
        bool anyStale = false;
        for (int s = 0; s < 4; s++)
        {
            int[] users = [.. Enumerable.Range(0, readUsers).Select(_ => rng.Next(data.UserCount))];
            int[] items = [.. Enumerable.Range(0, 5).Select(_ => rng.Next(data.ItemCount))];
            int[] candidates = [.. Enumerable.Range(0, 4).Select(_ => rng.Next(data.ItemCount))];
            whole.BeginStep(users, items, candidates, runner);
            step.BeginStep(users, items, candidates, runner);
            var expected = new float[users.Length * dim];
            var actual = new float[users.Length * dim];
            whole.UserVectors(users, users, expected, runner);
            step.UserVectors(users, users, actual, runner);
            Assert.Equal(Bits(expected), Bits(actual));
            foreach (int i in items.Concat(candidates))
            {
                Assert.Equal(Bits(whole.ItemVectors.Slice(i * dim, dim).ToArray()), Bits(step.ItemVectors.Slice(i * dim, dim).ToArray()));
            }
            anyStale |= !whole.ItemVectors.SequenceEqual(step.ItemVectors);
            // The next step starts from other parameters, as after an Adam step.
            FloatBuffer e0 = whole.Parameters[0].Values;
            for (int k = 0; k < e0.Length; k += 7)
            {
                e0[k] += (float)(0.01 * Math.Sin(k + s));
            }
            e0.AsSpan().CopyTo(step.Parameters[0].Values.AsSpan());
        }
        if (readUsers < 10)
        {
            Assert.True(anyStale, "a few read rows should leave other rows unpropagated");
        }
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
