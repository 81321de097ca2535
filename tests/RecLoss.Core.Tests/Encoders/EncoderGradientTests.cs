using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Encoders;

/// <summary>Every encoder's backward pass against finite differences of its forward pass, in float as training runs it.</summary>
public class EncoderGradientTests
{
    internal static InteractionMatrix SmallGraph()
    {
        // 7 users, 9 items; user 6 has a single item (its history is empty once the target is left out).
        int[] users = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6];
        int[] items = [0, 3, 5, 1, 3, 2, 4, 6, 8, 0, 7, 1, 5, 8, 2, 6, 4];
        return InteractionMatrix.FromPairs(7, 9, users, items, out _);
    }

    public static TheoryData<string> Encoders =>
        ["simplex-separate", "simplex-shared", "simplex-window", "simplex-self", "simplex-user", "simplex-user-reference", "simplex-self-shared-window", "lightgcn", "mf"];

    internal static IEncoder Make(string name, InteractionMatrix train, int dim) => name switch
    {
        "simplex-separate" => new SimpleX(train, new SimpleXOptions { Dim = dim, Gamma = 0.7, InitStd = 0.5 }, 3),
        "simplex-shared" => new SimpleX(train, new SimpleXOptions { Dim = dim, Gamma = 0.3, InitStd = 0.5, SharedHistoryTable = true }, 3),
        "simplex-window" => new SimpleX(train, new SimpleXOptions { Dim = dim, Gamma = 0.5, InitStd = 0.5, HistoryLength = 2 }, 3),
        "simplex-self" => new SimpleX(train, new SimpleXOptions { Dim = dim, Gamma = 0.4, InitStd = 0.5, Aggregator = SimpleXAggregator.SelfAttention }, 3),
        "simplex-user" => new SimpleX(train, new SimpleXOptions { Dim = dim, Gamma = 0.4, InitStd = 0.5, Aggregator = SimpleXAggregator.UserAttention }, 3),
        "simplex-user-reference" => new SimpleX(train, new SimpleXOptions
        {
            Dim = dim, Gamma = 0.4, InitStd = 0.5, Aggregator = SimpleXAggregator.UserAttention, Padding = AttentionPadding.Reference,
        }, 3),
        "simplex-self-shared-window" => new SimpleX(train, new SimpleXOptions
        {
            Dim = dim, Gamma = 0.2, InitStd = 0.5, Aggregator = SimpleXAggregator.SelfAttention, SharedHistoryTable = true, HistoryLength = 3,
            Padding = AttentionPadding.Reference,
        }, 3),
        "lightgcn" => new LightGcn(train, new LightGcnOptions { Dim = dim, Layers = 3, InitStd = 0.5 }, 3),
        _ => new MatrixFactorization(train.UserCount, train.ItemCount, new MatrixFactorizationOptions { Dim = dim, InitStd = 0.5 }, 3),
    };

    /// <summary>f = sum_r c_r . x_r + sum_i C_i . v_i, a linear probe of the forward pass; its gradient is backward(c, C).</summary>
    internal static double Probe(IEncoder encoder, int[] users, int[] targets, float[] c, float[] cItems, ParallelRunner runner)
    {
        encoder.BeginStepOnAll(runner);
        var x = new float[users.Length * encoder.Dim];
        encoder.UserVectors(users, targets, x, runner);
        double f = 0;
        for (int k = 0; k < x.Length; k++)
        {
            f += (double)c[k] * x[k];
        }
        ReadOnlySpan<float> v = encoder.ItemVectors;
        for (int k = 0; k < cItems.Length; k++)
        {
            f += (double)cItems[k] * v[k];
        }
        return f;
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Backward_MatchesFiniteDifferences(string name)
    {
        const int dim = 6;
        InteractionMatrix train = SmallGraph();
        IEncoder encoder = Make(name, train, dim);
        var runner = new ParallelRunner(1);
        int[] users = [0, 2, 2, 5, 6, 0];
        int[] targets = [3, 6, 8, 2, 4, 0];
        var rng = new Xoshiro256(17);
        float[] c = Enumerable.Range(0, users.Length * dim).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] cItems = Enumerable.Range(0, train.ItemCount * dim).Select(_ => (float)rng.NextGaussian()).ToArray();

        Probe(encoder, users, targets, c, cItems, runner);
        foreach (ParameterBlock block in encoder.Parameters)
        {
            block.Gradient.Clear();
        }
        encoder.Backward(users, targets, c, (float[])cItems.Clone(), [.. Enumerable.Range(0, train.ItemCount)], runner);

        foreach (ParameterBlock block in encoder.Parameters)
        {
            float[] analytic = block.Gradient.ToArray();
            for (int k = 0; k < block.Values.Length; k++)
            {
                float saved = block.Values[k];
                const float h = 1e-2f;
                block.Values[k] = saved + h;
                double up = Probe(encoder, users, targets, c, cItems, runner);
                block.Values[k] = saved - h;
                double down = Probe(encoder, users, targets, c, cItems, runner);
                block.Values[k] = saved;
                double numeric = (up - down) / (2 * h);
                // Linear or bilinear in one parameter (MF, mean, LightGCN): exact up to float rounding; the attention's
                // tanh and softmax leave an O(h^2) error well inside the tolerance.
                Assert.True(Math.Abs(numeric - analytic[k]) <= 3e-3 * (1 + Math.Abs(numeric)),
                    $"{name} block {block.Name} element {k}: numeric {numeric}, analytic {analytic[k]}");
            }
        }
    }
}
