using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Encoders;

public class SimpleXTests
{
    private const int Dim = 4;

    /// <summary>x = g e_u + (1 - g) W mean(h_j over <paramref name="history"/>), in double.</summary>
    private static double[] Expected(SimpleX encoder, int user, IEnumerable<int> history, double g)
    {
        FloatBuffer e = encoder.Parameters[0].Values, h = encoder.Parameters[2].Values, w = encoder.Parameters[3].Values;
        int[] items = history.ToArray();
        var a = new double[Dim];
        foreach (int j in items)
        {
            for (int d = 0; d < Dim; d++)
            {
                a[d] += h[j * Dim + d];
            }
        }
        var x = new double[Dim];
        for (int o = 0; o < Dim; o++)
        {
            double wa = 0;
            for (int i = 0; i < Dim; i++)
            {
                wa += w[o * Dim + i] * a[i] / (items.Length + 1e-9);
            }
            x[o] = g * e[user * Dim + o] + (1 - g) * wa;
        }
        return x;
    }

    [Fact]
    public void Training_LeavesTheTargetOutOfTheHistory_TestUsesTheWholeHistory()
    {
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        var encoder = new SimpleX(train, new SimpleXOptions { Dim = Dim, Gamma = 0.6, InitStd = 0.5, Score = ScoreKind.Dot }, 4);
        var runner = new ParallelRunner(1);
        var x = new float[2 * Dim];
        encoder.UserVectors([2, 2], [6, 8], x, runner);
        double[] without6 = Expected(encoder, 2, [2, 4, 8], 0.6), without8 = Expected(encoder, 2, [2, 4, 6], 0.6);
        for (int d = 0; d < Dim; d++)
        {
            Assert.Equal(without6[d], x[d], 1e-5);
            Assert.Equal(without8[d], x[Dim + d], 1e-5);
        }
        FactorModel model = encoder.Export(runner);
        double[] full = Expected(encoder, 2, [2, 4, 6, 8], 0.6);
        for (int d = 0; d < Dim; d++)
        {
            Assert.Equal(full[d], model.User(2)[d], 1e-5);
        }
    }

    [Fact]
    public void HistoryLength_KeepsTheLastItems()
    {
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        var encoder = new SimpleX(train, new SimpleXOptions { Dim = Dim, Gamma = 0.5, InitStd = 0.5, HistoryLength = 2, Score = ScoreKind.Dot }, 4);
        FactorModel model = encoder.Export(new ParallelRunner(1));
        double[] expected = Expected(encoder, 2, [6, 8], 0.5);   // user 2's items 2, 4, 6, 8: the last two
        for (int d = 0; d < Dim; d++)
        {
            Assert.Equal(expected[d], model.User(2)[d], 1e-5);
        }
    }

    [Fact]
    public void GammaOne_UserVectorsAreTheUserRowsExactly()
    {
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        var encoder = new SimpleX(train, new SimpleXOptions { Dim = Dim, Gamma = 1, InitStd = 0.5 }, 4);
        var x = new float[3 * Dim];
        encoder.UserVectors([1, 4, 6], [3, 8, 4], x, new ParallelRunner(1));
        FloatBuffer e = encoder.Parameters[0].Values;
        Assert.Equal(e.AsSpan(1 * Dim, Dim).ToArray(), x[..Dim]);
        Assert.Equal(e.AsSpan(4 * Dim, Dim).ToArray(), x[Dim..(2 * Dim)]);
        Assert.Equal(e.AsSpan(6 * Dim, Dim).ToArray(), x[(2 * Dim)..]);
    }

    [Theory]
    [InlineData(AttentionPadding.Masked)]
    [InlineData(AttentionPadding.Reference)]
    public void UserAttention_WeighsTheHistoryBySoftmax_ReferencePaddingAddsOnePerPaddedSlot(AttentionPadding padding)
    {
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        var encoder = new SimpleX(train, new SimpleXOptions
        {
            Dim = Dim, Gamma = 0, InitStd = 0.8, Score = ScoreKind.Dot, Aggregator = SimpleXAggregator.UserAttention, Padding = padding,
        }, 6);
        // Blocks: users, items, history, W_v, W_k, b_k. The longest train history has 4 items, so the reference pads to 3
        // (its max_len leaves the target out); user 1 has items 1 and 3: one padded slot.
        FloatBuffer e = encoder.Parameters[0].Values, h = encoder.Parameters[2].Values, wv = encoder.Parameters[3].Values, wk = encoder.Parameters[4].Values;
        int[] items = [1, 3];
        var weights = new double[items.Length];
        for (int n = 0; n < items.Length; n++)
        {
            double logit = 0;
            for (int o = 0; o < Dim; o++)
            {
                double z = 0;
                for (int i = 0; i < Dim; i++)
                {
                    z += wk[o * Dim + i] * h[items[n] * Dim + i];
                }
                logit += Math.Tanh(z) * e[1 * Dim + o];   // b_k starts at zero; the query is e_u
            }
            weights[n] = Math.Exp(logit);
        }
        double denominator = weights.Sum() + (padding == AttentionPadding.Reference ? 1 + 1e-9 : 0);
        var a = new double[Dim];
        for (int n = 0; n < items.Length; n++)
        {
            for (int d = 0; d < Dim; d++)
            {
                a[d] += weights[n] / denominator * h[items[n] * Dim + d];
            }
        }
        FactorModel model = encoder.Export(new ParallelRunner(1));
        for (int o = 0; o < Dim; o++)
        {
            double expected = Enumerable.Range(0, Dim).Sum(i => wv[o * Dim + i] * a[i]);
            Assert.Equal(expected, model.User(1)[o], 1e-5);
        }
    }

    [Theory]
    [InlineData(SimpleXAggregator.UserAttention)]
    [InlineData(SimpleXAggregator.SelfAttention)]
    public void Attention_AStepAfterAnother_EqualsTheSameStepOnAFreshEncoder_BitForBit(SimpleXAggregator aggregator)
    {
        // A step keeps one key per distinct history item; what the step before laid out must not leak into it.
        InteractionMatrix train = EncoderGradientTests.SmallGraph();
        SimpleX Make() => new(train, new SimpleXOptions { Dim = Dim, Gamma = 0.3, InitStd = 0.8, Aggregator = aggregator }, 6);
        var runner = new ParallelRunner(1);
        SimpleX used = Make(), fresh = Make();
        int[] users = [2, 6, 1, 2], targets = [8, 4, 1, 6];
        var afterAnother = new float[users.Length * Dim];
        var alone = new float[users.Length * Dim];
        used.BeginStepOnAll(runner);
        used.UserVectors([0, 2, 5], [3, 6, 2], new float[3 * Dim], runner);
        foreach (SimpleX encoder in new[] { used, fresh })
        {
            // As a training step would: W_k moves, so a key kept from the step before is stale.
            VectorKernels.Multiply<float>(encoder.Parameters.Single(b => b.Name == "W_k").Values, 1.5f, encoder.Parameters.Single(b => b.Name == "W_k").Values);
        }
        used.BeginStepOnAll(runner);
        used.UserVectors(users, targets, afterAnother, runner);
        fresh.BeginStepOnAll(runner);
        fresh.UserVectors(users, targets, alone, runner);
        Assert.Equal(alone.Select(BitConverter.SingleToInt32Bits), afterAnother.Select(BitConverter.SingleToInt32Bits));
    }
}
