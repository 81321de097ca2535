using RecLoss.Core.Losses;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Losses;

/// <summary>Properties every loss must have: analytic dL/ds equal to finite differences, and finite values for huge scores.</summary>
public class LossPropertyTests
{
    public static TheoryData<string> Names => new()
    {
        "mml", "ccl", "bpr", "bce", "bce-averaged", "mse", "hinge", "contrastive", "triplet", "ssm", "ssm-hot", "sl", "bsl", "bsl-paper", "simce",
        "generalized-softmax", "generalized-distance",
    };

    internal static IRowLoss Create(string name) => name switch
    {
        "mml" => MultiMarginLoss.Yelp2018,
        "ccl" => new CosineContrastiveLoss(0.4, 150),
        "bpr" => new BprLoss(),
        "bce" => new BinaryCrossEntropyLoss(),
        "bce-averaged" => new BinaryCrossEntropyLoss(1.0 / 7),
        "mse" => new MeanSquaredErrorLoss(),
        "hinge" => new PairwiseHingeLoss(0.3),
        "contrastive" => new ContrastiveLoss(1.2),
        "triplet" => new TripletLoss(0.5),
        "ssm" => new SampledSoftmaxLoss(),
        "ssm-hot" => new SampledSoftmaxLoss(0.07),
        "sl" => new SoftmaxLoss(),
        "bsl" => new BilateralSoftmaxLoss(),
        "bsl-paper" => new BilateralSoftmaxLoss(0.2, 0.15, BslForm.Paper),
        "simce" => new SimCeLoss(0.5),
        "generalized-softmax" => new GeneralizedContrastiveLoss(PositiveTerm.Hinge, NegativeTerm.Similarity, Activation.HalfSquaredRelu,
            Aggregation.Softmax, [0.1, 0.5], [0.3, 0.7], 2, 3),
        "generalized-distance" => new GeneralizedContrastiveLoss(PositiveTerm.Linear, NegativeTerm.Distance, Activation.Relu,
            Aggregation.Mean, [0.8, 1.1], [1, 0.5], 1, 4),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradient_MatchesCentralDifferences_AwayFromKinks(string name)
    {
        IRowLoss loss = Create(name);
        const int n = 7;
        const double h = 1e-6;
        int checkedPoints = 0;
        for (int trial = 0; trial < 60; trial++)
        {
            var rng = new Xoshiro256(300 + (ulong)trial);
            double positive = rng.NextDouble() * 1.8 - 0.9;
            double[] negatives = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 1.8 - 0.9).ToArray();
            double[] analytic = new double[n];
            loss.Evaluate<double>(positive, negatives, out double dPositive, analytic);

            // A kink sits between the one-sided differences when they disagree; such points are skipped.
            if (!Smooth(x => Value(loss, x, negatives), positive, h)
                || Enumerable.Range(0, n).Any(j => !Smooth(x => Value(loss, positive, With(negatives, j, x)), negatives[j], h)))
            {
                continue;
            }
            checkedPoints++;
            AssertClose(Central(x => Value(loss, x, negatives), positive, h), dPositive, $"{name} trial {trial} dL/ds+");
            for (int j = 0; j < n; j++)
            {
                AssertClose(Central(x => Value(loss, positive, With(negatives, j, x)), negatives[j], h), analytic[j], $"{name} trial {trial} dL/ds-[{j}]");
            }
        }
        Assert.True(checkedPoints >= 20, $"only {checkedPoints} of 60 points away from kinks");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void HugeScores_GiveFiniteLossAndGradient(string name)
    {
        IRowLoss loss = Create(name);
        // 1e4 / tau for the smallest temperature in use (0.07), and both signs, in float as training runs.
        float big = 1e4f / 0.07f;
        float[][] cases =
        [
            [big, -big, big, 0f],
            [-big, big, big, -big],
            [1e4f, 1e4f, -1e4f, 1e4f],
            [-1e4f, -1e4f, -1e4f, -1e4f],
        ];
        foreach (float[] c in cases)
        {
            float[] g = new float[c.Length - 1];
            float value = loss.Evaluate<float>(c[0], c.AsSpan(1), out float dPositive, g);
            Assert.True(float.IsFinite(value), $"{name}: loss {value} at [{string.Join(", ", c)}]");
            Assert.True(float.IsFinite(dPositive), $"{name}: dL/ds+ {dPositive} at [{string.Join(", ", c)}]");
            Assert.All(g, x => Assert.True(float.IsFinite(x), $"{name}: dL/ds- {x} at [{string.Join(", ", c)}]"));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void NoNegatives_GiveFiniteLoss(string name)
    {
        float value = Create(name).Evaluate<float>(0.3f, ReadOnlySpan<float>.Empty, out float dPositive, Span<float>.Empty);
        Assert.True(float.IsFinite(value) && float.IsFinite(dPositive), $"{name}: {value}, {dPositive}");
    }

    internal static double Value(IRowLoss loss, double positive, double[] negatives) =>
        loss.Evaluate<double>(positive, negatives, out _, new double[negatives.Length]);

    private static double[] With(double[] x, int j, double value)
    {
        double[] copy = (double[])x.Clone();
        copy[j] = value;
        return copy;
    }

    private static double Central(Func<double, double> f, double x, double h) => (f(x + h) - f(x - h)) / (2 * h);

    private static bool Smooth(Func<double, double> f, double x, double h)
    {
        double fx = f(x);
        double right = (f(x + h) - fx) / h, left = (fx - f(x - h)) / h;
        return Math.Abs(right - left) <= 1e-3 * (1 + Math.Abs(right));
    }

    private static void AssertClose(double numeric, double analytic, string what)
    {
        double tolerance = 1e-5 + 1e-5 * Math.Abs(numeric);
        Assert.True(Math.Abs(numeric - analytic) <= tolerance, $"{what}: numeric {numeric:G10} vs analytic {analytic:G10}");
    }
}
