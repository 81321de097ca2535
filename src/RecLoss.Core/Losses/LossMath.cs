using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RecLoss.Core.Losses;

/// <summary>Stable pieces shared by the losses.</summary>
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
    /// softmax weight of each x_j into <paramref name="weights"/> (x itself or disjoint from it) and that of first.
    /// </summary>
    public static T LogSumExp<T>(T first, ReadOnlySpan<T> x, T scale, Span<T> weights, out T firstWeight)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && !x.IsEmpty)
        {
            float lse = LogSumExpVectorized(Unsafe.BitCast<T, float>(first), MemoryMarshal.Cast<T, float>(x), Unsafe.BitCast<T, float>(scale),
                MemoryMarshal.Cast<T, float>(weights), out float w0);
            firstWeight = Unsafe.BitCast<float, T>(w0);
            return Unsafe.BitCast<float, T>(lse);
        }
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

    /// <summary>The float form of <see cref="LogSumExp{T}(T, ReadOnlySpan{T}, T, Span{T}, out T)"/> in vector passes.</summary>
    /// <remarks>
    /// The same steps, <c>z_j = scale x_j - max</c>, <c>e_j = exp z_j</c>, <c>w_j = e_j / sum</c>, each over the whole row
    /// in SIMD lanes (the row is a few KiB, in L1). The sum adds lane-wise partial sums, so it rounds differently from
    /// the scalar loop (double, used by the gradient tests, keeps that one).
    /// </remarks>
    private static float LogSumExpVectorized(float first, ReadOnlySpan<float> x, float scale, Span<float> weights, out float firstWeight)
    {
        Span<float> z = weights[..x.Length];
        TensorPrimitives.Multiply(x, scale, z);
        float max = MathF.Max(scale * first, TensorPrimitives.Max(z));
        TensorPrimitives.Subtract(z, max, z);
        TensorPrimitives.Exp(z, z);
        float e0 = MathF.Exp(scale * first - max);
        float sum = e0 + TensorPrimitives.Sum(z);
        float inverse = 1f / sum;
        TensorPrimitives.Multiply(z, inverse, z);
        firstWeight = e0 * inverse;
        return max + MathF.Log(sum);
    }
}
