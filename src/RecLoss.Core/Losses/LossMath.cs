using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Stable scalar pieces shared by the losses, and their argument checks.</summary>
internal static class LossMath
{
    /// <summary>softplus(x) = log(1 + e^x) without overflow: x + log1p(e^-x) for x > 0.</summary>
    public static T Softplus<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> =>
        x > T.Zero ? x + T.LogP1(T.Exp(-x)) : T.LogP1(T.Exp(x));

    /// <summary>sigmoid(x) = 1 / (1 + e^-x), evaluated on the side where the exponential cannot overflow.</summary>
    public static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x >= T.Zero)
        {
            return T.One / (T.One + T.Exp(-x));
        }
        T e = T.Exp(x);
        return e / (T.One + e);
    }

    /// <summary>log sum_j exp(scale x_j), shifted by the maximum; writes the softmax weights when the span is not empty.</summary>
    public static T LogSumExp<T>(ReadOnlySpan<T> x, T scale, Span<T> weights) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty)
        {
            return T.NegativeInfinity;
        }
        T max = T.NegativeInfinity;
        foreach (T v in x)
        {
            max = T.Max(max, scale * v);
        }
        T sum = T.Zero;
        for (int j = 0; j < x.Length; j++)
        {
            T e = T.Exp(scale * x[j] - max);
            sum += e;
            if (!weights.IsEmpty)
            {
                weights[j] = e;
            }
        }
        if (!weights.IsEmpty)
        {
            T inverse = T.One / sum;
            for (int j = 0; j < x.Length; j++)
            {
                weights[j] *= inverse;
            }
        }
        return max + T.Log(sum);
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and within [min, max] (or (min, max] when <paramref name="minExclusive"/>).</summary>
    public static double InRange(double value, double min, double max, string name, bool minExclusive = false)
    {
        bool ok = double.IsFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
        if (!ok)
        {
            string range = (minExclusive ? "(" : "[") + Format(min) + ", " + (max >= double.MaxValue ? "inf)" : Format(max) + "]");
            throw new ArgumentOutOfRangeException(name, value, $"{name} must lie in {range}; got {value}.");
        }
        return value;
    }

    private static string Format(double x) => x.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
