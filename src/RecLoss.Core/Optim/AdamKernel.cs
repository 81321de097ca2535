using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using RecLoss.Numerics;

namespace RecLoss.Core.Optim;

/// <summary>Per-step scalars of Adam that every row shares.</summary>
public readonly record struct AdamStepScalars(float Clip, float StepSize, float InverseSqrtBias2);

/// <summary>The Adam element update, shared by the plain dense loop and the deferred replay so both do the same arithmetic.</summary>
/// <remarks>
/// Per element, at step t with clip factor c:
/// <c>G = data + lambda w; g = c G; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// w = w - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)</c>, the last written as
/// <c>sqrt(v) * invSqrtBias2</c>. Vector and scalar lanes perform the same IEEE operations in the same order
/// (no fused multiply-add), so they agree bit for bit.
/// </remarks>
internal readonly struct AdamKernel
{
    private readonly float _lambda, _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon;

    public AdamKernel(AdamOptions options)
    {
        _lambda = (float)options.L2;
        _beta1 = (float)options.Beta1;
        _oneMinusBeta1 = (float)(1 - options.Beta1);
        _beta2 = (float)options.Beta2;
        _oneMinusBeta2 = (float)(1 - options.Beta2);
        _epsilon = (float)options.Epsilon;
    }

    public float Lambda => _lambda;

    /// <summary>G = data + lambda w, in place in <paramref name="gradient"/>; returns sum G^2.</summary>
    public double AddL2(ReadOnlySpan<float> w, Span<float> gradient)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return AddL2<Lanes512, Vector512<float>>(w, gradient);
        }
        return Vector256.IsHardwareAccelerated ? AddL2<Lanes256, Vector256<float>>(w, gradient) : AddL2<NoLanes, float>(w, gradient);
    }

    private double AddL2<TL, TV>(ReadOnlySpan<float> w, Span<float> gradient) where TL : struct, ILanes<TV> where TV : struct
    {
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(gradient);
        int d = 0;
        float sum = 0;
        if (TL.Count > 1)
        {
            TV lambda = TL.Broadcast(_lambda), acc = TL.Zero;
            for (; d <= w.Length - TL.Count; d += TL.Count)
            {
                TV g = TL.Add(TL.Load(ref gRef, (nuint)d), TL.Multiply(lambda, TL.Load(ref wRef, (nuint)d)));
                TL.Store(g, ref gRef, (nuint)d);
                acc = TL.Add(acc, TL.Multiply(g, g));
            }
            sum = TL.Sum(acc);
        }
        for (; d < w.Length; d++)
        {
            float g = Unsafe.Add(ref gRef, d) + _lambda * Unsafe.Add(ref wRef, d);
            Unsafe.Add(ref gRef, d) = g;
            sum += g * g;
        }
        return sum;
    }

    /// <summary>sum (0 + lambda w)^2 in double: the regulariser-only gradient of an idle row.</summary>
    public double IdleNormSquared(ReadOnlySpan<float> w)
    {
        double sum = 0;
        for (int d = 0; d < w.Length; d++)
        {
            float g = 0f + _lambda * w[d];
            sum += (double)g * g;
        }
        return sum;
    }

    /// <summary>One step with a precomputed G (data + lambda w).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> gradient, AdamStepScalars s)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Apply<Lanes512, Vector512<float>>(w, m, v, gradient, s);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Apply<Lanes256, Vector256<float>>(w, m, v, gradient, s);
        }
        else
        {
            Apply<NoLanes, float>(w, m, v, gradient, s);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Apply<TL, TV>(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> gradient, AdamStepScalars s)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float mRef = ref MemoryMarshal.GetReference(m);
        ref float vRef = ref MemoryMarshal.GetReference(v);
        ref float gRef = ref MemoryMarshal.GetReference(gradient);
        int d = 0;
        if (TL.Count > 1)
        {
            for (; d <= w.Length - TL.Count; d += TL.Count)
            {
                TV wv = TL.Load(ref wRef, (nuint)d);
                TV mv = TL.Load(ref mRef, (nuint)d);
                TV vv = TL.Load(ref vRef, (nuint)d);
                TV g = TL.Multiply(TL.Load(ref gRef, (nuint)d), TL.Broadcast(s.Clip));
                Update<TL, TV>(ref wv, ref mv, ref vv, g, s);
                TL.Store(wv, ref wRef, (nuint)d);
                TL.Store(mv, ref mRef, (nuint)d);
                TL.Store(vv, ref vRef, (nuint)d);
            }
        }
        for (; d < w.Length; d++)
        {
            float g = Unsafe.Add(ref gRef, d) * s.Clip;
            UpdateScalar(ref Unsafe.Add(ref wRef, d), ref Unsafe.Add(ref mRef, d), ref Unsafe.Add(ref vRef, d), g, s);
        }
    }

    /// <summary>Replays steps with no data gradient (G = 0 + lambda w) for one row, keeping it in registers.</summary>
    /// <param name="steps">The scalars of the steps to replay, in order.</param>
    /// <remarks>
    /// Four vector blocks advance together through the steps, so four independent sqrt/divide chains are in flight;
    /// a long replay is then bound by the divider's throughput rather than its latency.
    /// </remarks>
    public void Replay(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<AdamStepScalars> steps)
    {
        // A long replay of a row narrower than eight 512-bit vectors (dim 64) runs as eight 256-bit chains: the same
        // IEEE operations per element, with eight dependency chains in flight instead of four.
        bool eightNarrow = steps.Length >= EightChainMinSteps && w.Length < 8 * Vector512<float>.Count && w.Length >= 8 * Vector256<float>.Count;
        if (Vector512.IsHardwareAccelerated && !(eightNarrow && Vector256.IsHardwareAccelerated))
        {
            Replay<Lanes512, Vector512<float>>(w, m, v, steps);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Replay<Lanes256, Vector256<float>>(w, m, v, steps);
        }
        else
        {
            Replay<NoLanes, float>(w, m, v, steps);
        }
    }

    private void Replay<TL, TV>(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<AdamStepScalars> steps)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float mRef = ref MemoryMarshal.GetReference(m);
        ref float vRef = ref MemoryMarshal.GetReference(v);
        int d = 0;
        int n = TL.Count;
        if (n > 1)
        {
            TV lambda = TL.Broadcast(_lambda);
            // Short replays (item rows, touched every few steps) are bound by memory and the eight-chain prologue.
            for (; steps.Length >= EightChainMinSteps && d <= w.Length - 8 * n; d += 8 * n)
            {
                ReplayEight<TL, TV>(ref Unsafe.Add(ref wRef, d), ref Unsafe.Add(ref mRef, d), ref Unsafe.Add(ref vRef, d), steps);
            }
            for (; d <= w.Length - 4 * n; d += 4 * n)
            {
                nuint o0 = (nuint)d, o1 = o0 + (nuint)n, o2 = o1 + (nuint)n, o3 = o2 + (nuint)n;
                TV w0 = TL.Load(ref wRef, o0), w1 = TL.Load(ref wRef, o1), w2 = TL.Load(ref wRef, o2), w3 = TL.Load(ref wRef, o3);
                TV m0 = TL.Load(ref mRef, o0), m1 = TL.Load(ref mRef, o1), m2 = TL.Load(ref mRef, o2), m3 = TL.Load(ref mRef, o3);
                TV v0 = TL.Load(ref vRef, o0), v1 = TL.Load(ref vRef, o1), v2 = TL.Load(ref vRef, o2), v3 = TL.Load(ref vRef, o3);
                foreach (AdamStepScalars s in steps)
                {
                    TV clip = TL.Broadcast(s.Clip);
                    Update<TL, TV>(ref w0, ref m0, ref v0, IdleGradient<TL, TV>(w0, lambda, clip), s);
                    Update<TL, TV>(ref w1, ref m1, ref v1, IdleGradient<TL, TV>(w1, lambda, clip), s);
                    Update<TL, TV>(ref w2, ref m2, ref v2, IdleGradient<TL, TV>(w2, lambda, clip), s);
                    Update<TL, TV>(ref w3, ref m3, ref v3, IdleGradient<TL, TV>(w3, lambda, clip), s);
                }
                TL.Store(w0, ref wRef, o0); TL.Store(w1, ref wRef, o1); TL.Store(w2, ref wRef, o2); TL.Store(w3, ref wRef, o3);
                TL.Store(m0, ref mRef, o0); TL.Store(m1, ref mRef, o1); TL.Store(m2, ref mRef, o2); TL.Store(m3, ref mRef, o3);
                TL.Store(v0, ref vRef, o0); TL.Store(v1, ref vRef, o1); TL.Store(v2, ref vRef, o2); TL.Store(v3, ref vRef, o3);
            }
            for (; d <= w.Length - n; d += n)
            {
                TV wv = TL.Load(ref wRef, (nuint)d), mv = TL.Load(ref mRef, (nuint)d), vv = TL.Load(ref vRef, (nuint)d);
                foreach (AdamStepScalars s in steps)
                {
                    Update<TL, TV>(ref wv, ref mv, ref vv, IdleGradient<TL, TV>(wv, lambda, TL.Broadcast(s.Clip)), s);
                }
                TL.Store(wv, ref wRef, (nuint)d);
                TL.Store(mv, ref mRef, (nuint)d);
                TL.Store(vv, ref vRef, (nuint)d);
            }
        }
        for (; d < w.Length; d++)
        {
            ref float wd = ref Unsafe.Add(ref wRef, d);
            ref float md = ref Unsafe.Add(ref mRef, d);
            ref float vd = ref Unsafe.Add(ref vRef, d);
            foreach (AdamStepScalars s in steps)
            {
                float g = (0f + _lambda * wd) * s.Clip;
                UpdateScalar(ref wd, ref md, ref vd, g, s);
            }
        }
    }

    // Eight chains for long replays: one step's dependency chain w -> g -> v -> sqrt -> divide -> w is about 50
    // cycles, which four 256-bit chains cannot cover (the divider then idles); eight keep it busy. 24 live vectors
    // exceed AVX2's 16 registers, and the spills cost less than the idle divider (ReplayBenchmarks: 1.31 -> 2.05 G
    // element-steps/s on one Zen 3 core); below EightChainMinSteps the longer prologue costs more than it saves.
    private const int EightChainMinSteps = 4;

    private void ReplayEight<TL, TV>(ref float wRef, ref float mRef, ref float vRef, ReadOnlySpan<AdamStepScalars> steps)
        where TL : struct, ILanes<TV> where TV : struct
    {
        nuint n = (nuint)TL.Count;
        TV lambda = TL.Broadcast(_lambda);
        TV b1 = TL.Broadcast(_beta1), c1 = TL.Broadcast(_oneMinusBeta1), b2 = TL.Broadcast(_beta2), c2 = TL.Broadcast(_oneMinusBeta2);
        TV eps = TL.Broadcast(_epsilon);
        TV w0 = TL.Load(ref wRef, 0), w1 = TL.Load(ref wRef, n), w2 = TL.Load(ref wRef, 2 * n), w3 = TL.Load(ref wRef, 3 * n);
        TV w4 = TL.Load(ref wRef, 4 * n), w5 = TL.Load(ref wRef, 5 * n), w6 = TL.Load(ref wRef, 6 * n), w7 = TL.Load(ref wRef, 7 * n);
        TV m0 = TL.Load(ref mRef, 0), m1 = TL.Load(ref mRef, n), m2 = TL.Load(ref mRef, 2 * n), m3 = TL.Load(ref mRef, 3 * n);
        TV m4 = TL.Load(ref mRef, 4 * n), m5 = TL.Load(ref mRef, 5 * n), m6 = TL.Load(ref mRef, 6 * n), m7 = TL.Load(ref mRef, 7 * n);
        TV v0 = TL.Load(ref vRef, 0), v1 = TL.Load(ref vRef, n), v2 = TL.Load(ref vRef, 2 * n), v3 = TL.Load(ref vRef, 3 * n);
        TV v4 = TL.Load(ref vRef, 4 * n), v5 = TL.Load(ref vRef, 5 * n), v6 = TL.Load(ref vRef, 6 * n), v7 = TL.Load(ref vRef, 7 * n);
        foreach (AdamStepScalars s in steps)
        {
            TV clip = TL.Broadcast(s.Clip), size = TL.Broadcast(s.StepSize), bias = TL.Broadcast(s.InverseSqrtBias2);
            Step<TL, TV>(ref w0, ref m0, ref v0, lambda, clip, b1, c1, b2, c2, bias, eps, size);
            Step<TL, TV>(ref w1, ref m1, ref v1, lambda, clip, b1, c1, b2, c2, bias, eps, size);
            Step<TL, TV>(ref w2, ref m2, ref v2, lambda, clip, b1, c1, b2, c2, bias, eps, size);
            Step<TL, TV>(ref w3, ref m3, ref v3, lambda, clip, b1, c1, b2, c2, bias, eps, size);
            Step<TL, TV>(ref w4, ref m4, ref v4, lambda, clip, b1, c1, b2, c2, bias, eps, size);
            Step<TL, TV>(ref w5, ref m5, ref v5, lambda, clip, b1, c1, b2, c2, bias, eps, size);
            Step<TL, TV>(ref w6, ref m6, ref v6, lambda, clip, b1, c1, b2, c2, bias, eps, size);
            Step<TL, TV>(ref w7, ref m7, ref v7, lambda, clip, b1, c1, b2, c2, bias, eps, size);
        }
        TL.Store(w0, ref wRef, 0); TL.Store(w1, ref wRef, n); TL.Store(w2, ref wRef, 2 * n); TL.Store(w3, ref wRef, 3 * n);
        TL.Store(w4, ref wRef, 4 * n); TL.Store(w5, ref wRef, 5 * n); TL.Store(w6, ref wRef, 6 * n); TL.Store(w7, ref wRef, 7 * n);
        TL.Store(m0, ref mRef, 0); TL.Store(m1, ref mRef, n); TL.Store(m2, ref mRef, 2 * n); TL.Store(m3, ref mRef, 3 * n);
        TL.Store(m4, ref mRef, 4 * n); TL.Store(m5, ref mRef, 5 * n); TL.Store(m6, ref mRef, 6 * n); TL.Store(m7, ref mRef, 7 * n);
        TL.Store(v0, ref vRef, 0); TL.Store(v1, ref vRef, n); TL.Store(v2, ref vRef, 2 * n); TL.Store(v3, ref vRef, 3 * n);
        TL.Store(v4, ref vRef, 4 * n); TL.Store(v5, ref vRef, 5 * n); TL.Store(v6, ref vRef, 6 * n); TL.Store(v7, ref vRef, 7 * n);
    }

    /// <summary>The regulariser-only gradient of an idle row, as the dense loop forms it: <c>(0 + lambda w) c</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV IdleGradient<TL, TV>(TV w, TV lambda, TV clip) where TL : struct, ILanes<TV> where TV : struct =>
        TL.Multiply(TL.Add(TL.Zero, TL.Multiply(lambda, w)), clip);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TL, TV>(ref TV w, ref TV m, ref TV v, TV lambda, TV clip, TV b1, TV c1, TV b2, TV c2, TV bias, TV eps, TV size)
        where TL : struct, ILanes<TV> where TV : struct =>
        Update<TL, TV>(ref w, ref m, ref v, IdleGradient<TL, TV>(w, lambda, clip), b1, c1, b2, c2, bias, eps, size);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Update<TL, TV>(ref TV w, ref TV m, ref TV v, TV g, AdamStepScalars s) where TL : struct, ILanes<TV> where TV : struct =>
        Update<TL, TV>(ref w, ref m, ref v, g, TL.Broadcast(_beta1), TL.Broadcast(_oneMinusBeta1), TL.Broadcast(_beta2), TL.Broadcast(_oneMinusBeta2),
            TL.Broadcast(s.InverseSqrtBias2), TL.Broadcast(_epsilon), TL.Broadcast(s.StepSize));

    /// <summary>The vector element update, the one place its operations and their order are written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update<TL, TV>(ref TV w, ref TV m, ref TV v, TV g, TV b1, TV c1, TV b2, TV c2, TV bias, TV eps, TV size)
        where TL : struct, ILanes<TV> where TV : struct
    {
        m = TL.Add(TL.Multiply(b1, m), TL.Multiply(c1, g));
        v = TL.Add(TL.Multiply(b2, v), TL.Multiply(c2, TL.Multiply(g, g)));
        w = TL.Subtract(w, TL.Divide(TL.Multiply(size, m), TL.Add(TL.Multiply(TL.Sqrt(v), bias), eps)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void UpdateScalar(ref float w, ref float m, ref float v, float g, AdamStepScalars s)
    {
        m = _beta1 * m + _oneMinusBeta1 * g;
        v = _beta2 * v + _oneMinusBeta2 * (g * g);
        float denominator = MathF.Sqrt(v) * s.InverseSqrtBias2 + _epsilon;
        w -= s.StepSize * m / denominator;
    }
}
