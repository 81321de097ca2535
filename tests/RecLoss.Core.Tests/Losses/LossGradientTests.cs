using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Losses;

/// <summary>Finite-difference checks of the fused row kernel (loss + cosine or dot), in double and in float, away from hinge kinks.</summary>
public class LossGradientTests
{
    private const int Dim = 8;
    private const int Negatives = 5;

    public static TheoryData<string, bool> Losses => new()
    {
        { "mml", false }, { "ccl", false }, { "mml-one-margin", false },
        { "mml", true }, { "ccl", true },
        { "bpr", false }, { "ssm-hot", true }, { "sl", false }, { "bsl", true }, { "mse", false },
    };

    private static IRowLoss Create(string name) => name switch
    {
        "mml" => MultiMarginLoss.Yelp2018,
        "ccl" => new CosineContrastiveLoss(0.2, 150),
        "mml-one-margin" => new MultiMarginLoss([0.3], [1.0], 1, 40),
        _ => LossPropertyTests.Create(name),
    };

    [Theory]
    [MemberData(nameof(Losses))]
    public void ForwardBackward_Cosine_MatchesCentralDifferences(string lossName, bool cached)
    {
        IRowLoss loss = Create(lossName);
        int checkedPoints = 0;
        for (int trial = 0; trial < 40 && checkedPoints < 8; trial++)
        {
            var rng = new Xoshiro256(1000 + (ulong)trial);
            // Negatives correlated with the user so that scores spread across the margins.
            double[] user = RandomVector(ref rng, Dim, 1.0);
            double[] items = new double[(1 + Negatives) * Dim];
            for (int k = 0; k < 1 + Negatives; k++)
            {
                double pull = rng.NextDouble() * 3;
                for (int d = 0; d < Dim; d++)
                {
                    items[k * Dim + d] = pull * user[d] + rng.NextGaussian();
                }
            }
            double[] dropout = Enumerable.Range(0, Dim).Select(d => d % 5 == 0 ? 0.0 : 1 / 0.9).ToArray();
            int[] indices = Enumerable.Range(0, 1 + Negatives).ToArray();

            var result = Run(loss, user, items, indices, dropout, cached);
            if (NearKink(loss, result.Scores))
            {
                continue;
            }
            checkedPoints++;
            const double h = 1e-6;
            // Gradient with respect to the user vector.
            for (int d = 0; d < Dim; d++)
            {
                double numeric = CentralDifference(user, d, h, () => Run(loss, user, items, indices, dropout, cached).Loss);
                AssertClose(numeric, result.UserGradient[d], $"{lossName} trial {trial} dL/de_u[{d}]");
            }
            // Gradient with respect to the positive and every negative: a_k u~ - b_k e_k.
            for (int k = 0; k < 1 + Negatives; k++)
            {
                for (int d = 0; d < Dim; d++)
                {
                    double analytic = result.CoefA[k] * result.UserTilde[d] - result.CoefB[k] * items[k * Dim + d];
                    double numeric = CentralDifference(items, k * Dim + d, h, () => Run(loss, user, items, indices, dropout, cached).Loss);
                    AssertClose(numeric, analytic, $"{lossName} trial {trial} dL/de_{k}[{d}]");
                }
            }
        }
        Assert.True(checkedPoints >= 5, $"only {checkedPoints} points away from kinks");
    }

    public static TheoryData<string, ScoreKind, bool> ScoresAndPrecisions => new()
    {
        { "mml", ScoreKind.Dot, false }, { "bpr", ScoreKind.Dot, false }, { "ssm-hot", ScoreKind.Dot, false }, { "sl", ScoreKind.Dot, false },
        { "mse", ScoreKind.Dot, false }, { "ccl", ScoreKind.Dot, false },
        { "mml", ScoreKind.Cosine, true }, { "ccl", ScoreKind.Cosine, true }, { "bsl", ScoreKind.Cosine, true }, { "sl", ScoreKind.Cosine, true },
        { "mml", ScoreKind.Dot, true }, { "bpr", ScoreKind.Dot, true }, { "ssm-hot", ScoreKind.Dot, true },
    };

    /// <summary>
    /// Dot scores, and the float path that training runs: the float kernel's analytic gradient against central
    /// differences of the double kernel at the same (float-representable) point, within float's precision.
    /// </summary>
    [Theory]
    [MemberData(nameof(ScoresAndPrecisions))]
    public void ForwardBackward_DotScoresAndFloatPath_MatchCentralDifferences(string lossName, ScoreKind score, bool inFloat)
    {
        IRowLoss loss = Create(lossName);
        int checkedPoints = 0;
        for (int trial = 0; trial < 40 && checkedPoints < 6; trial++)
        {
            var rng = new Xoshiro256(5000 + (ulong)trial);
            double scale = score == ScoreKind.Dot ? 0.35 : 1.0;   // dot scores of order one, away from softmax saturation
            double[] user = RandomVector(ref rng, Dim, scale).Select(x => (double)(float)x).ToArray();
            double[] items = new double[(1 + Negatives) * Dim];
            for (int k = 0; k < 1 + Negatives; k++)
            {
                double pull = rng.NextDouble() * 2;
                for (int d = 0; d < Dim; d++)
                {
                    items[k * Dim + d] = (float)(scale * (pull * user[d] / scale + rng.NextGaussian()));
                }
            }
            double[] dropout = Enumerable.Range(0, Dim).Select(d => d % 5 == 0 ? 0.0 : (double)(1 / 0.9f)).ToArray();
            int[] indices = Enumerable.Range(0, 1 + Negatives).ToArray();
            RowResult exact = Run(loss, user, items, indices, dropout, false, score);
            if (NearKink(loss, exact.Scores))
            {
                continue;
            }
            checkedPoints++;
            RowResult result = inFloat ? RunFloat(loss, user, items, indices, dropout, score) : exact;
            double tolerance = inFloat ? 2e-3 : 1e-5;
            const double h = 1e-6;
            for (int d = 0; d < Dim; d++)
            {
                double numeric = CentralDifference(user, d, h, () => Run(loss, user, items, indices, dropout, false, score).Loss);
                AssertClose(numeric, result.UserGradient[d], $"{lossName} {score} float={inFloat} trial {trial} dL/de_u[{d}]", tolerance);
            }
            for (int k = 0; k < 1 + Negatives; k++)
            {
                for (int d = 0; d < Dim; d++)
                {
                    double analytic = result.CoefA[k] * result.UserTilde[d] - result.CoefB[k] * items[k * Dim + d];
                    double numeric = CentralDifference(items, k * Dim + d, h, () => Run(loss, user, items, indices, dropout, false, score).Loss);
                    AssertClose(numeric, analytic, $"{lossName} {score} float={inFloat} trial {trial} dL/de_{k}[{d}]", tolerance);
                }
            }
        }
        Assert.True(checkedPoints >= 4, $"only {checkedPoints} points away from kinks");
    }

    /// <summary>
    /// Dropout before the cosine's normalisation (the BSL code's order): u~ is a unit vector along mask .* e_u, and the
    /// gradients, in double and in the float path, match central differences through that order.
    /// </summary>
    [Theory]
    [InlineData("bsl", false)]
    [InlineData("sl", false)]
    [InlineData("mml", false)]
    [InlineData("bsl", true)]
    public void ForwardBackward_CosineWithDropoutFirst_NormalisesTheDroppedVectorAndMatchesCentralDifferences(string lossName, bool inFloat)
    {
        IRowLoss loss = Create(lossName);
        int checkedPoints = 0;
        for (int trial = 0; trial < 40 && checkedPoints < 6; trial++)
        {
            var rng = new Xoshiro256(7000 + (ulong)trial);
            double[] user = RandomVector(ref rng, Dim, 1.0).Select(x => (double)(float)x).ToArray();
            double[] items = new double[(1 + Negatives) * Dim];
            for (int k = 0; k < 1 + Negatives; k++)
            {
                double pull = rng.NextDouble() * 3;
                for (int d = 0; d < Dim; d++)
                {
                    items[k * Dim + d] = (float)(pull * user[d] + rng.NextGaussian());
                }
            }
            double[] dropout = Enumerable.Range(0, Dim).Select(d => d % 3 == 0 ? 0.0 : (double)(1 / 0.9f)).ToArray();
            int[] indices = Enumerable.Range(0, 1 + Negatives).ToArray();
            RowResult exact = Run(loss, user, items, indices, dropout, false, ScoreKind.Cosine, dropoutFirst: true);
            double[] masked = [.. user.Select((x, d) => x * dropout[d])];
            double maskedNorm = Math.Sqrt(masked.Sum(x => x * x));
            for (int d = 0; d < Dim; d++)
            {
                AssertClose(masked[d] / maskedNorm, exact.UserTilde[d], $"u~[{d}]");
            }
            if (NearKink(loss, exact.Scores))
            {
                continue;
            }
            checkedPoints++;
            RowResult result = inFloat ? RunFloat(loss, user, items, indices, dropout, ScoreKind.Cosine, dropoutFirst: true) : exact;
            double tolerance = inFloat ? 2e-3 : 1e-5;
            const double h = 1e-6;
            for (int d = 0; d < Dim; d++)
            {
                double numeric = CentralDifference(user, d, h, () => Run(loss, user, items, indices, dropout, false, ScoreKind.Cosine, dropoutFirst: true).Loss);
                AssertClose(numeric, result.UserGradient[d], $"{lossName} float={inFloat} trial {trial} dL/de_u[{d}]", tolerance);
            }
            for (int k = 0; k < 1 + Negatives; k++)
            {
                for (int d = 0; d < Dim; d++)
                {
                    double analytic = result.CoefA[k] * result.UserTilde[d] - result.CoefB[k] * items[k * Dim + d];
                    double numeric = CentralDifference(items, k * Dim + d, h, () => Run(loss, user, items, indices, dropout, false, ScoreKind.Cosine, dropoutFirst: true).Loss);
                    AssertClose(numeric, analytic, $"{lossName} float={inFloat} trial {trial} dL/de_{k}[{d}]", tolerance);
                }
            }
        }
        Assert.True(checkedPoints >= 4, $"only {checkedPoints} points away from kinks");
    }

    [Fact]
    public void MultiMargin_OneMarginOfWeightOne_EqualsCcl()
    {
        var rng = new Xoshiro256(7);
        var mml = new MultiMarginLoss([0.7], [1.0], 1, 250);
        var ccl = new CosineContrastiveLoss(0.7, 250);
        for (int trial = 0; trial < 200; trial++)
        {
            float positive = (float)(rng.NextDouble() * 2 - 1);
            float[] negatives = Enumerable.Range(0, 17).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            float[] gMml = new float[17], gCcl = new float[17];
            float a = mml.Evaluate<float>(positive, negatives, out float dpMml, gMml);
            float b = ccl.Evaluate<float>(positive, negatives, out float dpCcl, gCcl);
            Assert.Equal(b, a);
            Assert.Equal(dpCcl, dpMml);
            Assert.Equal(gCcl, gMml);
        }
    }

    [Fact]
    public void MultiMargin_HandPickedScores_GiveFormulaValue()
    {
        var mml = new MultiMarginLoss([0.6, 0.9], [0.25, 0.75], 2, 8);
        double[] negatives = [0.95, 0.7, 0.1];
        double[] g = new double[3];
        double value = mml.Evaluate<double>(0.5, negatives, out double dp, g);
        // 2 (1 - 0.5) + 8/3 [0.25 (0.35) + 0.75 (0.05) + 0.25 (0.1)]
        double expected = 2 * 0.5 + 8.0 / 3 * (0.25 * 0.35 + 0.75 * 0.05 + 0.25 * 0.1);
        Assert.Equal(expected, value, 12);
        Assert.Equal(-2, dp);
        Assert.Equal(8.0 / 3 * 1.0, g[0], 12);
        Assert.Equal(8.0 / 3 * 0.25, g[1], 12);
        Assert.Equal(0, g[2]);
    }

    [Fact]
    public void MultiMargin_MismatchedLists_Throw()
    {
        var e = Assert.Throws<ArgumentException>(() => new MultiMarginLoss([0.6, 0.7], [1.0]));
        Assert.Contains("2 margins but 1 margin weights", e.Message);
    }

    private sealed record RowResult(double Loss, double[] UserTilde, double[] UserGradient, double[] Scores, double[] CoefA, double[] CoefB);

    private static RowResult Run(IRowLoss loss, double[] user, double[] items, int[] indices, double[] dropout, bool cached, ScoreKind score = ScoreKind.Cosine,
        bool dropoutFirst = false) =>
        loss.Accept(new Runner(user, items, indices, dropout, cached, score, dropoutFirst));

    private static RowResult RunFloat(IRowLoss loss, double[] user, double[] items, int[] indices, double[] dropout, ScoreKind score, bool dropoutFirst = false) =>
        loss.Accept(new FloatRunner(user, items, indices, dropout, score, dropoutFirst));

    /// <summary>The row kernel in float, as training runs it; results widened to double.</summary>
    private sealed class FloatRunner(double[] user, double[] items, int[] indices, double[] dropout, ScoreKind score, bool dropoutFirst) : IRowLossVisitor<RowResult>
    {
        public RowResult Visit<TLoss>(TLoss loss)
            where TLoss : struct, IRowLoss
        {
            int n = indices.Length;
            float[] F(double[] x) => x.Select(v => (float)v).ToArray();
            double[] D(float[] x) => x.Select(v => (double)v).ToArray();
            var tilde = new float[Dim];
            var grad = new float[Dim];
            var scores = new float[n];
            var a = new float[n];
            var b = new float[n];
            float value = RowKernel.ForwardBackward(loss, score, F(user), F(items), Dim, indices, F(dropout), 1f, [], tilde, grad, scores, a, b, dropoutFirst);
            return new RowResult(value, D(tilde), D(grad), D(scores), D(a), D(b));
        }
    }

    private sealed class Runner(double[] user, double[] items, int[] indices, double[] dropout, bool cached, ScoreKind score = ScoreKind.Cosine,
        bool dropoutFirst = false) : IRowLossVisitor<RowResult>
    {
        public RowResult Visit<TLoss>(TLoss loss)
            where TLoss : struct, IRowLoss
        {
            int n = indices.Length;
            var tilde = new double[Dim];
            var grad = new double[Dim];
            var scores = new double[n];
            var a = new double[n];
            var b = new double[n];
            double[] inverseNorms = cached
                ? Enumerable.Range(0, items.Length / Dim).Select(i => 1 / Math.Sqrt(items.Skip(i * Dim).Take(Dim).Sum(x => x * x))).ToArray()
                : [];
            double value = RowKernel.ForwardBackward(loss, score, user, items, Dim, indices, dropout, 1.0, inverseNorms, tilde, grad, scores, a, b, dropoutFirst);
            return new RowResult(value, tilde, grad, scores, a, b);
        }
    }

    private static bool NearKink(IRowLoss loss, double[] scores)
    {
        IEnumerable<double> kinks = loss switch
        {
            MultiMarginLoss m => m.Margins,
            CosineContrastiveLoss c => [c.Margin],
            _ => [],
        };
        return Math.Abs(scores[0] - 1) < 1e-3 || scores.Skip(1).Any(s => kinks.Any(m => Math.Abs(s - m) < 1e-3));
    }

    private static double CentralDifference(double[] x, int index, double h, Func<double> f)
    {
        double saved = x[index];
        x[index] = saved + h;
        double plus = f();
        x[index] = saved - h;
        double minus = f();
        x[index] = saved;
        return (plus - minus) / (2 * h);
    }

    private static void AssertClose(double expected, double actual, string what, double relative = 1e-5)
    {
        double tolerance = relative / 10 + relative * Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: numeric {expected:G10} vs analytic {actual:G10}");
    }

    private static double[] RandomVector(ref Xoshiro256 rng, int n, double scale)
    {
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = scale * rng.NextGaussian();
        }
        return x;
    }
}
