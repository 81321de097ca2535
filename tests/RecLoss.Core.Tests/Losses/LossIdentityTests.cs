using RecLoss.Core.Losses;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Losses;

/// <summary>The papers' special cases, hand-computed values, and the instances of the generalized contrastive loss.</summary>
public class LossIdentityTests
{
    private static IEnumerable<(double Positive, double[] Negatives)> RandomRows(ulong seed, int negatives, int rows = 200, double range = 1.0)
    {
        var rng = new Xoshiro256(seed);
        for (int r = 0; r < rows; r++)
        {
            double positive = (rng.NextDouble() * 2 - 1) * range;
            double[] n = Enumerable.Range(0, negatives).Select(_ => (rng.NextDouble() * 2 - 1) * range).ToArray();
            yield return (positive, n);
        }
    }

    /// <summary>Asserts equal loss and gradients (to 1e-12 relative) on random rows.</summary>
    private static void AssertSameLoss(IRowLoss expected, IRowLoss actual, int negatives, double range = 1.0)
    {
        foreach ((double positive, double[] n) in RandomRows(11, negatives, range: range))
        {
            double[] ge = new double[negatives], ga = new double[negatives];
            double e = expected.Evaluate<double>(positive, n, out double dpe, ge);
            double a = actual.Evaluate<double>(positive, n, out double dpa, ga);
            string at = $"s+ {positive}, s- [{string.Join(", ", n)}]";
            Assert.True(Math.Abs(e - a) <= 1e-12 * (1 + Math.Abs(e)), $"{actual.Name} loss {a} vs {expected.Name} {e} at {at}");
            Assert.True(Math.Abs(dpe - dpa) <= 1e-12 * (1 + Math.Abs(dpe)), $"dL/ds+ {dpa} vs {dpe} at {at}");
            for (int j = 0; j < negatives; j++)
            {
                Assert.True(Math.Abs(ge[j] - ga[j]) <= 1e-12 * (1 + Math.Abs(ge[j])), $"dL/ds-[{j}] {ga[j]} vs {ge[j]} at {at}");
            }
        }
    }

    [Fact]
    public void SimCe_OneNegative_EqualsPairwiseHinge() => AssertSameLoss(new PairwiseHingeLoss(0.7), new SimCeLoss(0.7), 1);

    [Fact]
    public void Bsl_NegativeTemperatureOne_EqualsSoftmaxLoss() => AssertSameLoss(new SoftmaxLoss(0.13), new BilateralSoftmaxLoss(0.13, 1.0), 9);

    [Fact]
    public void Ssm_OneNegative_EqualsLogisticPairwiseLoss() => AssertSameLoss(new BprLoss(), new SampledSoftmaxLoss(1.0), 1, range: 5);

    [Fact]
    public void Generalized_ReproducesMml() => AssertSameLoss(MultiMarginLoss.Yelp2018, new GeneralizedContrastiveLoss(), 12);

    [Fact]
    public void Generalized_ReproducesCcl() => AssertSameLoss(new CosineContrastiveLoss(0.6, 150),
        new GeneralizedContrastiveLoss(PositiveTerm.Hinge, NegativeTerm.Similarity, Activation.Relu, Aggregation.Mean, [0.6], [1], 1, 150), 12);

    [Fact]
    public void Generalized_ReproducesContrastiveEq1() => AssertSameLoss(new ContrastiveLoss(1.1),
        new GeneralizedContrastiveLoss(PositiveTerm.Linear, NegativeTerm.Distance, Activation.HalfSquaredRelu, Aggregation.Sum, [1.1], [1], 1, 1), 12);

    [Fact]
    public void Generalized_ReproducesTripletEq3() => AssertSameLoss(new TripletLoss(0.4),
        new GeneralizedContrastiveLoss(PositiveTerm.None, NegativeTerm.Triplet, Activation.Relu, Aggregation.Sum, [0.4], [1], 0, 1), 12);

    [Fact]
    public void Generalized_ReproducesInfoNceEq4() => AssertSameLoss(new SampledSoftmaxLoss(1.0),
        new GeneralizedContrastiveLoss(PositiveTerm.None, NegativeTerm.Score, Activation.Identity, Aggregation.Softmax, [0], [1], 0, 1), 12, range: 3);

    [Fact]
    public void HandComputedValues_MatchFormulas()
    {
        double[] n = [0.5, -0.25];
        double Softplus(double x) => Math.Log(1 + Math.Exp(x));
        Assert.Equal((Softplus(0.5 - 0.75) + Softplus(-0.25 - 0.75)) / 2, Value(new BprLoss(), 0.75, n), 12);
        Assert.Equal(Softplus(-0.75) + Softplus(0.5) + Softplus(-0.25), Value(new BinaryCrossEntropyLoss(), 0.75, n), 12);
        Assert.Equal(Softplus(-0.75) + 0.5 * (Softplus(0.5) + Softplus(-0.25)), Value(new BinaryCrossEntropyLoss(0.5), 0.75, n), 12);
        Assert.Equal(0.0625 / 2 + (0.25 + 0.0625) / 2, Value(new MeanSquaredErrorLoss(), 0.75, n), 12);
        Assert.Equal((1 - 0.75 + 0.5 + 0) / 2, Value(new PairwiseHingeLoss(1), 0.75, n), 12);      // relu(0.75), relu(0)
        Assert.Equal(1 - 0.75 + 0.5, Value(new SimCeLoss(1), 0.75, n), 12);
        Assert.Equal(0, Value(new SimCeLoss(0.2), 0.75, n), 12);
        Assert.Equal(-Math.Log(Math.Exp(0.75) / (Math.Exp(0.75) + Math.Exp(0.5) + Math.Exp(-0.25))), Value(new SampledSoftmaxLoss(), 0.75, n), 12);
        Assert.Equal(-0.75 / 0.5 + Math.Log(Math.Exp(1.0) + Math.Exp(-0.5)), Value(new SoftmaxLoss(0.5), 0.75, n), 12);
        Assert.Equal(-0.75 / 0.5 + 1.5 * Math.Log(Math.Exp(1.0) + Math.Exp(-0.5)), Value(new BilateralSoftmaxLoss(0.5, 1.5), 0.75, n), 12);
        Assert.Equal(-0.75 + 0.25 * Math.Log((Math.Exp(2.0) + Math.Exp(-1.0)) / 2), Value(new BilateralSoftmaxLoss(0.5, 0.25, BslForm.Paper), 0.75, n), 12);
        // Contrastive: d+^2/2 = 1 - s+; d(0.5) = 1, d(-0.25) = sqrt(2.5); m = 1.2.
        Assert.Equal(0.25 + 0.5 * 0.2 * 0.2 + 0, Value(new ContrastiveLoss(1.2), 0.75, n), 12);
        // Triplet: relu(2 s- - 2 s+ + m) with m = 0.6: relu(0.1) + relu(-1.4).
        Assert.Equal(0.1, Value(new TripletLoss(0.6), 0.75, n), 12);
    }

    [Fact]
    public void PooledPositives_OneRowPerUser_EqualSingleForm()
    {
        double[] positives = [0.3, -0.2, 0.9];
        var pooling = new PositivePooling(true, 0.11, 1);
        double[] delta = new double[3], gradient = new double[3], max = new double[3], sum = new double[3];
        PooledPositives.Compute<double>(pooling, positives, [0, 1, 2], 3, delta, gradient, max, sum, new int[3]);
        Assert.All(delta, d => Assert.Equal(0, d, 12));
        Assert.All(gradient, g => Assert.Equal(-1 / 0.11, g, 9));
    }

    [Theory]
    [InlineData(1.0)]      // reference form
    [InlineData(0.2)]      // paper form (scale tau1)
    public void PooledPositives_GradientMatchesCentralDifferences(double scale)
    {
        // Rows of three users, unordered; total pooled loss = sum over rows of (single part + delta).
        double[] s = [0.3, -0.2, 0.9, 0.1, 0.5, -0.7, 0.05];
        int[] group = [0, 1, 0, 2, 1, 0, 2];
        var pooling = new PositivePooling(true, 0.2, scale);
        double Total(double[] x)
        {
            double[] d = new double[x.Length], g = new double[x.Length];
            PooledPositives.Compute<double>(pooling, x, group, 3, d, g, new double[3], new double[3], new int[3]);
            return Enumerable.Range(0, x.Length).Sum(r => -scale * x[r] / 0.2 + d[r]);
        }
        double[] delta = new double[s.Length], gradient = new double[s.Length];
        PooledPositives.Compute<double>(pooling, s, group, 3, delta, gradient, new double[3], new double[3], new int[3]);
        for (int r = 0; r < s.Length; r++)
        {
            double saved = s[r];
            s[r] = saved + 1e-6;
            double plus = Total(s);
            s[r] = saved - 1e-6;
            double minus = Total(s);
            s[r] = saved;
            Assert.True(Math.Abs((plus - minus) / 2e-6 - gradient[r]) <= 1e-5 * (1 + Math.Abs(gradient[r])), $"row {r}: {(plus - minus) / 2e-6} vs {gradient[r]}");
        }
        // And the pooled part of user 0 is -c log mean_r e^{s_r / tau} over its rows 0, 2, 5.
        double expected = -scale * Math.Log((Math.Exp(0.3 / 0.2) + Math.Exp(0.9 / 0.2) + Math.Exp(-0.7 / 0.2)) / 3);
        Assert.Equal(expected, -scale * 0.3 / 0.2 + delta[0], 10);
    }

    [Fact]
    public void OutOfRangeParameters_AreRejectedWithTheRange()
    {
        Assert.Contains("margin must lie in (0, 2]", Assert.Throws<ArgumentOutOfRangeException>(() => new ContrastiveLoss(2.5)).Message);
        Assert.Contains("margin must lie in (0, 2]", Assert.Throws<ArgumentOutOfRangeException>(() => new ContrastiveLoss(0)).Message);
        Assert.Contains("temperature must lie in (0, inf)", Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxLoss(-1)).Message);
        Assert.Contains("gamma must lie in [0, inf)", Assert.Throws<ArgumentOutOfRangeException>(() => new SimCeLoss(-1)).Message);
        Assert.Contains("temperature-negative", Assert.Throws<ArgumentOutOfRangeException>(() => new BilateralSoftmaxLoss(0.1, double.NaN)).Message);
        Assert.Contains("margin must lie in [0, 4]", Assert.Throws<ArgumentOutOfRangeException>(() => new TripletLoss(5)).Message);
        Assert.Contains("margin must lie in [-1, 1] (the range of the cosine scores it is compared with); got 1.5",
            Assert.Throws<ArgumentOutOfRangeException>(() => new CosineContrastiveLoss(1.5, 1)).Message);
    }

    private static double Value(IRowLoss loss, double positive, double[] negatives) => LossPropertyTests.Value(loss, positive, negatives);
}
