using System.Numerics;

namespace RecLoss.Core.Losses;

/// <summary>Stable scalar pieces shared by the losses, and their argument checks.</summary>
internal static class LossMath
{
    /// <summary>softplus(x) and sigmoid(x) = d softplus / dx from one exponential, e^-|x|.</summary>
    public static T SoftplusAndSigmoid<T>(T x, out T sigmoid) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T e = T.Exp(-T.Abs(x));
        T inverse = T.One / (T.One + e);
        sigmoid = x >= T.Zero ? inverse : e * inverse;
        return T.Max(x, T.Zero) + T.LogP1(e);
    }

    /// <summary>log sum_j exp(scale x_j), shifted by the maximum; writes the softmax weights (which may overwrite x).</summary>
    public static T LogSumExp<T>(ReadOnlySpan<T> x, T scale, Span<T> weights) where T : unmanaged, IFloatingPointIeee754<T> =>
        x.IsEmpty ? T.NegativeInfinity : LogSumExp(T.NegativeInfinity, x, scale, weights, out _);

    /// <summary>
    /// log(e^{scale first} + sum_j e^{scale x_j}), shifted by the maximum so no exponential overflows; writes the
    /// softmax weight of each x_j into <paramref name="weights"/> (which may be x itself) and that of first.
    /// </summary>
    public static T LogSumExp<T>(T first, ReadOnlySpan<T> x, T scale, Span<T> weights, out T firstWeight)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = scale * first;
        foreach (T v in x)
        {
            max = T.Max(max, scale * v);
        }
        T e0 = T.Exp(scale * first - max);
        T sum = e0;
        for (int j = 0; j < x.Length; j++)
        {
            T e = T.Exp(scale * x[j] - max);
            sum += e;
            weights[j] = e;
        }
        T inverse = T.One / sum;
        for (int j = 0; j < x.Length; j++)
        {
            weights[j] *= inverse;
        }
        firstWeight = e0 * inverse;
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
