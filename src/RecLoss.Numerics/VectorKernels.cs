using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RecLoss.Numerics;

/// <summary>Fused span kernels shared by training (float) and the gradient tests (double).</summary>
/// <remarks>
/// One 512-bit vector path under <see cref="Vector512.IsHardwareAccelerated"/>, a 256-bit path under
/// <see cref="Vector256.IsHardwareAccelerated"/>, and a scalar loop that is both the fallback and the test oracle.
/// Reductions use two accumulators for instruction-level parallelism; results may differ from the scalar loop
/// by rounding only.
/// </remarks>
public static class VectorKernels
{
    /// <summary>Computes <c>sum_i x[i] * y[i]</c>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != y.Length)
        {
            ThrowLengthMismatch();
        }
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        int i = 0;
        T sum = T.Zero;
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<T>.Count)
        {
            Vector512<T> acc0 = Vector512<T>.Zero, acc1 = Vector512<T>.Zero;
            int n = Vector512<T>.Count;
            for (; i <= x.Length - 2 * n; i += 2 * n)
            {
                acc0 += Vector512.LoadUnsafe(ref xRef, (nuint)i) * Vector512.LoadUnsafe(ref yRef, (nuint)i);
                acc1 += Vector512.LoadUnsafe(ref xRef, (nuint)(i + n)) * Vector512.LoadUnsafe(ref yRef, (nuint)(i + n));
            }
            for (; i <= x.Length - n; i += n)
            {
                acc0 += Vector512.LoadUnsafe(ref xRef, (nuint)i) * Vector512.LoadUnsafe(ref yRef, (nuint)i);
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<T>.Count)
        {
            Vector256<T> acc0 = Vector256<T>.Zero, acc1 = Vector256<T>.Zero;
            int n = Vector256<T>.Count;
            for (; i <= x.Length - 2 * n; i += 2 * n)
            {
                acc0 += Vector256.LoadUnsafe(ref xRef, (nuint)i) * Vector256.LoadUnsafe(ref yRef, (nuint)i);
                acc1 += Vector256.LoadUnsafe(ref xRef, (nuint)(i + n)) * Vector256.LoadUnsafe(ref yRef, (nuint)(i + n));
            }
            for (; i <= x.Length - n; i += n)
            {
                acc0 += Vector256.LoadUnsafe(ref xRef, (nuint)i) * Vector256.LoadUnsafe(ref yRef, (nuint)i);
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < x.Length; i++)
        {
            sum += Unsafe.Add(ref xRef, i) * Unsafe.Add(ref yRef, i);
        }
        return sum;
    }

    /// <summary>Computes <c>x . y</c> and <c>y . y</c> in one pass (the cosine numerator and one norm).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T DotAndSumOfSquares<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, out T sumOfSquaresY)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != y.Length)
        {
            ThrowLengthMismatch();
        }
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        int i = 0;
        T dot = T.Zero, yy = T.Zero;
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<T>.Count)
        {
            Vector512<T> accDot = Vector512<T>.Zero, accYy = Vector512<T>.Zero;
            int n = Vector512<T>.Count;
            for (; i <= x.Length - n; i += n)
            {
                Vector512<T> yv = Vector512.LoadUnsafe(ref yRef, (nuint)i);
                accDot += Vector512.LoadUnsafe(ref xRef, (nuint)i) * yv;
                accYy += yv * yv;
            }
            dot = Vector512.Sum(accDot);
            yy = Vector512.Sum(accYy);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<T>.Count)
        {
            Vector256<T> accDot = Vector256<T>.Zero, accYy = Vector256<T>.Zero;
            int n = Vector256<T>.Count;
            for (; i <= x.Length - n; i += n)
            {
                Vector256<T> yv = Vector256.LoadUnsafe(ref yRef, (nuint)i);
                accDot += Vector256.LoadUnsafe(ref xRef, (nuint)i) * yv;
                accYy += yv * yv;
            }
            dot = Vector256.Sum(accDot);
            yy = Vector256.Sum(accYy);
        }
        for (; i < x.Length; i++)
        {
            T yi = Unsafe.Add(ref yRef, i);
            dot += Unsafe.Add(ref xRef, i) * yi;
            yy += yi * yi;
        }
        sumOfSquaresY = yy;
        return dot;
    }

    /// <summary>Computes <c>sum_i x[i]^2</c>.</summary>
    public static T SumOfSquares<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T> => Dot(x, x);

    /// <summary>Computes <c>destination[i] += a * x[i]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAdd<T>(ReadOnlySpan<T> x, T a, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != destination.Length)
        {
            ThrowLengthMismatch();
        }
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T dRef = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<T> av = Vector512.Create(a);
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                (Vector512.LoadUnsafe(ref dRef, (nuint)i) + av * Vector512.LoadUnsafe(ref xRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<T> av = Vector256.Create(a);
            for (; i <= x.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                (Vector256.LoadUnsafe(ref dRef, (nuint)i) + av * Vector256.LoadUnsafe(ref xRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            Unsafe.Add(ref dRef, i) += a * Unsafe.Add(ref xRef, i);
        }
    }

    /// <summary>Computes <c>destination[i] = a * x[i]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Multiply<T>(ReadOnlySpan<T> x, T a, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != destination.Length)
        {
            ThrowLengthMismatch();
        }
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T dRef = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<T> av = Vector512.Create(a);
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                (av * Vector512.LoadUnsafe(ref xRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<T> av = Vector256.Create(a);
            for (; i <= x.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                (av * Vector256.LoadUnsafe(ref xRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            Unsafe.Add(ref dRef, i) = a * Unsafe.Add(ref xRef, i);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLengthMismatch() => throw new ArgumentException("Input spans must have the same length.");
}
