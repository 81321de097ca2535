using RecLoss.Core.Encoders;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Optim;

public class ReplayAdamOptimizerTests
{
    // 83 = one 64-wide register block + one 16-lane vector + 3 scalar lanes: every path of the kernel runs; 64 is the
    // training width, where AVX-512 machines replay long idle runs as eight 256-bit chains.

    /// <summary>Runs both optimizers on identical tables with the same random sparse data gradients.</summary>
    private static (EmbeddingTable[] Dense, EmbeddingTable[] Replay) Run(AdamOptions options, int steps, double gradientScale, int threads, int dim = 83)
    {
        EmbeddingTable[] MakeTables()
        {
            var a = new EmbeddingTable(50, dim);
            var b = new EmbeddingTable(70, dim);
            a.InitializeNormal(0.01, 1, 1);
            b.InitializeNormal(0.01, 1, 2);
            return [a, b];
        }
        EmbeddingTable[] dense = MakeTables(), replay = MakeTables();
        var runner = new ParallelRunner(threads);
        var denseOptimizer = new DenseAdamOptimizer(options, dense, runner);
        var replayOptimizer = new ReplayAdamOptimizer(options, replay, runner);
        var gradient = new SparseGradient(dim, 50, 70);
        var rng = new Xoshiro256(99);
        for (int step = 0; step < steps; step++)
        {
            gradient.Clear();
            for (int t = 0; t < 2; t++)
            {
                int rows = t == 0 ? 50 : 70;
                // A few distinct rows get a data gradient; most rows stay idle for many steps.
                var chosen = new HashSet<int>();
                int count = rng.NextInt(6);
                while (chosen.Count < count)
                {
                    chosen.Add(rng.NextInt(rows));
                }
                foreach (int row in chosen)
                {
                    int p = gradient.Counts[t]++;
                    gradient.Rows[t][p] = row;
                    Span<float> g = gradient.Value(t, p);
                    for (int d = 0; d < g.Length; d++)
                    {
                        g[d] = (float)(gradientScale * rng.NextGaussian());
                    }
                }
                replayOptimizer.CatchUp(t, gradient.Rows[t], gradient.Counts[t]);
            }
            // The dense optimizer consumes the values in place too, so give it its own copy.
            var copy = new SparseGradient(dim, 50, 70);
            for (int t = 0; t < 2; t++)
            {
                copy.Counts[t] = gradient.Counts[t];
                Array.Copy(gradient.Rows[t], copy.Rows[t], gradient.Counts[t]);
                gradient.Values[t].AsSpan(0, gradient.Counts[t] * dim).CopyTo(copy.Values[t].AsSpan());
            }
            denseOptimizer.Step(copy);
            replayOptimizer.Step(gradient);
        }
        replayOptimizer.CatchUpAll();
        return (dense, replay);
    }

    [Theory]
    [InlineData(1, 83)]
    [InlineData(2, 83)]
    [InlineData(2, 64)]
    public void Replay_ClippingOff_EqualsDenseLoopBitForBit(int threads, int dim)
    {
        var options = new AdamOptions { LearningRate = 1e-2, L2 = 1e-2, ClipNorm = 0 };
        (EmbeddingTable[] dense, EmbeddingTable[] replay) = Run(options, steps: 400, gradientScale: 0.1, threads, dim);
        for (int t = 0; t < 2; t++)
        {
            Assert.Equal(dense[t].Weights, replay[t].Weights);
        }
    }

    [Fact]
    public void Replay_ClippingActive_AgreesWithinStatedTolerance()
    {
        // Gradients of norm ~ 5 * sqrt(5 * 83) = 100 against a clip of 1: every step clips. The replay takes the idle
        // rows' lambda^2 |w|^2 from the last full catch-up; with lambda = 1e-3 that term is about 1e-9 of the data
        // term, so the clip factors differ in the ninth digit at most and the parameters after 400 steps agree to
        // 1e-5 relative to their scale.
        var options = new AdamOptions { LearningRate = 1e-2, L2 = 1e-3, ClipNorm = 1 };
        (EmbeddingTable[] dense, EmbeddingTable[] replay) = Run(options, steps: 400, gradientScale: 5, threads: 2);
        for (int t = 0; t < 2; t++)
        {
            double scale = dense[t].Weights.ToArray().Max(w => Math.Abs(w));
            for (int k = 0; k < dense[t].Weights.Length; k++)
            {
                Assert.True(Math.Abs(dense[t].Weights[k] - replay[t].Weights[k]) <= 1e-5 * scale,
                    $"table {t} element {k}: dense {dense[t].Weights[k]} replay {replay[t].Weights[k]}");
            }
        }
    }

    [Fact]
    public void Step_RowNotCaughtUp_Throws()
    {
        var table = new EmbeddingTable(3, 4);
        var optimizer = new ReplayAdamOptimizer(new AdamOptions(), [table], new ParallelRunner(1));
        var gradient = new SparseGradient(4, 3);
        optimizer.Step(gradient); // step 1 with no rows
        gradient.Counts[0] = 1;
        gradient.Rows[0][0] = 2;
        Assert.Throws<InvalidOperationException>(() => optimizer.Step(gradient));
    }
}

public class SparseAdamOptimizerTests
{
    [Fact]
    public void Step_IdleRows_StayExactlyAsTheyWere()
    {
        var table = new EmbeddingTable(4, 16);
        table.InitializeNormal(0.1, 3, 1);
        float[] before = table.Weights.ToArray();
        var optimizer = new SparseAdamOptimizer(new AdamOptions { L2 = 1e-2 }, [table], new ParallelRunner(2));
        var gradient = new SparseGradient(16, 4);
        for (int step = 0; step < 50; step++)
        {
            gradient.Counts[0] = 1;
            gradient.Rows[0][0] = 2;
            gradient.Value(0, 0).Fill(0.5f);
            optimizer.Step(gradient);
        }
        for (int row = 0; row < 4; row++)
        {
            bool same = table.Row(row).SequenceEqual(before.AsSpan(row * 16, 16));
            Assert.Equal(row != 2, same);
        }
    }

    [Fact]
    public void Step_OneRowTable_EqualsDenseAdam()
    {
        // With a single row that always has a gradient, sparse and dense Adam are the same optimizer.
        EmbeddingTable Make()
        {
            var t = new EmbeddingTable(1, 16);
            t.InitializeNormal(0.1, 4, 1);
            return t;
        }
        EmbeddingTable sparse = Make(), dense = Make();
        var options = new AdamOptions { L2 = 1e-2, ClipNorm = 1 };
        var sparseOptimizer = new SparseAdamOptimizer(options, [sparse], new ParallelRunner(1));
        var denseOptimizer = new DenseAdamOptimizer(options, [dense], new ParallelRunner(1));
        var rng = new Xoshiro256(5);
        for (int step = 0; step < 100; step++)
        {
            float[] g = Enumerable.Range(0, 16).Select(_ => (float)rng.NextGaussian()).ToArray();
            foreach ((AdamOptimizer optimizer, SparseGradient gradient) in new[] { ((AdamOptimizer)sparseOptimizer, new SparseGradient(16, 1)), (denseOptimizer, new SparseGradient(16, 1)) })
            {
                gradient.Counts[0] = 1;
                gradient.Rows[0][0] = 0;
                g.CopyTo(gradient.Value(0, 0));
                optimizer.Step(gradient);
            }
        }
        Assert.Equal(dense.Weights, sparse.Weights);
    }
}
