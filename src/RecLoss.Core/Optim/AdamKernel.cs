using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float gRef = ref MemoryMarshal.GetReference(gradient);
        int d = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> lambda = Vector512.Create(_lambda), acc = Vector512<float>.Zero;
            for (; d <= w.Length - 16; d += 16)
            {
                Vector512<float> g = Vector512.LoadUnsafe(ref gRef, (nuint)d) + lambda * Vector512.LoadUnsafe(ref wRef, (nuint)d);
                g.StoreUnsafe(ref gRef, (nuint)d);
                acc += g * g;
            }
            sum = Vector512.Sum(acc);
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
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float mRef = ref MemoryMarshal.GetReference(m);
        ref float vRef = ref MemoryMarshal.GetReference(v);
        ref float gRef = ref MemoryMarshal.GetReference(gradient);
        int d = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; d <= w.Length - 16; d += 16)
            {
                Vector512<float> wv = Vector512.LoadUnsafe(ref wRef, (nuint)d);
                Vector512<float> mv = Vector512.LoadUnsafe(ref mRef, (nuint)d);
                Vector512<float> vv = Vector512.LoadUnsafe(ref vRef, (nuint)d);
                Vector512<float> g = Vector512.LoadUnsafe(ref gRef, (nuint)d) * Vector512.Create(s.Clip);
                Update(ref wv, ref mv, ref vv, g, s);
                wv.StoreUnsafe(ref wRef, (nuint)d);
                mv.StoreUnsafe(ref mRef, (nuint)d);
                vv.StoreUnsafe(ref vRef, (nuint)d);
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
    /// Four 16-lane blocks advance together through the steps, so four independent sqrt/divide chains are in flight;
    /// a long replay is then bound by the divider's throughput rather than its latency.
    /// </remarks>
    public void Replay(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<AdamStepScalars> steps)
    {
        ref float wRef = ref MemoryMarshal.GetReference(w);
        ref float mRef = ref MemoryMarshal.GetReference(m);
        ref float vRef = ref MemoryMarshal.GetReference(v);
        int d = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> lambda = Vector512.Create(_lambda);
            for (; d <= w.Length - 64; d += 64)
            {
                nuint o0 = (nuint)d, o1 = o0 + 16, o2 = o0 + 32, o3 = o0 + 48;
                Vector512<float> w0 = Vector512.LoadUnsafe(ref wRef, o0), w1 = Vector512.LoadUnsafe(ref wRef, o1);
                Vector512<float> w2 = Vector512.LoadUnsafe(ref wRef, o2), w3 = Vector512.LoadUnsafe(ref wRef, o3);
                Vector512<float> m0 = Vector512.LoadUnsafe(ref mRef, o0), m1 = Vector512.LoadUnsafe(ref mRef, o1);
                Vector512<float> m2 = Vector512.LoadUnsafe(ref mRef, o2), m3 = Vector512.LoadUnsafe(ref mRef, o3);
                Vector512<float> v0 = Vector512.LoadUnsafe(ref vRef, o0), v1 = Vector512.LoadUnsafe(ref vRef, o1);
                Vector512<float> v2 = Vector512.LoadUnsafe(ref vRef, o2), v3 = Vector512.LoadUnsafe(ref vRef, o3);
                foreach (AdamStepScalars s in steps)
                {
                    Vector512<float> clip = Vector512.Create(s.Clip);
                    Update(ref w0, ref m0, ref v0, (Vector512<float>.Zero + lambda * w0) * clip, s);
                    Update(ref w1, ref m1, ref v1, (Vector512<float>.Zero + lambda * w1) * clip, s);
                    Update(ref w2, ref m2, ref v2, (Vector512<float>.Zero + lambda * w2) * clip, s);
                    Update(ref w3, ref m3, ref v3, (Vector512<float>.Zero + lambda * w3) * clip, s);
                }
                w0.StoreUnsafe(ref wRef, o0); w1.StoreUnsafe(ref wRef, o1); w2.StoreUnsafe(ref wRef, o2); w3.StoreUnsafe(ref wRef, o3);
                m0.StoreUnsafe(ref mRef, o0); m1.StoreUnsafe(ref mRef, o1); m2.StoreUnsafe(ref mRef, o2); m3.StoreUnsafe(ref mRef, o3);
                v0.StoreUnsafe(ref vRef, o0); v1.StoreUnsafe(ref vRef, o1); v2.StoreUnsafe(ref vRef, o2); v3.StoreUnsafe(ref vRef, o3);
            }
            for (; d <= w.Length - 16; d += 16)
            {
                Vector512<float> wv = Vector512.LoadUnsafe(ref wRef, (nuint)d);
                Vector512<float> mv = Vector512.LoadUnsafe(ref mRef, (nuint)d);
                Vector512<float> vv = Vector512.LoadUnsafe(ref vRef, (nuint)d);
                foreach (AdamStepScalars s in steps)
                {
                    Vector512<float> g = (Vector512<float>.Zero + lambda * wv) * Vector512.Create(s.Clip);
                    Update(ref wv, ref mv, ref vv, g, s);
                }
                wv.StoreUnsafe(ref wRef, (nuint)d);
                mv.StoreUnsafe(ref mRef, (nuint)d);
                vv.StoreUnsafe(ref vRef, (nuint)d);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Update(ref Vector512<float> w, ref Vector512<float> m, ref Vector512<float> v, Vector512<float> g, AdamStepScalars s)
    {
        m = Vector512.Create(_beta1) * m + Vector512.Create(_oneMinusBeta1) * g;
        v = Vector512.Create(_beta2) * v + Vector512.Create(_oneMinusBeta2) * (g * g);
        Vector512<float> denominator = Vector512.Sqrt(v) * Vector512.Create(s.InverseSqrtBias2) + Vector512.Create(_epsilon);
        w -= Vector512.Create(s.StepSize) * m / denominator;
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
