using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RecLoss.Numerics;

/// <summary>One SIMD width of float lanes, so a hot kernel is written once and instantiated per width.</summary>
/// <remarks>
/// Kernels take <c>&lt;TLanes, TVector&gt;</c> with <c>TLanes : struct, ILanes&lt;TVector&gt;</c>; the JIT specialises
/// each instantiation and inlines these members, so the generic form compiles to the same code as hand-written
/// <see cref="Vector512{T}"/> or <see cref="Vector256{T}"/> loops. <see cref="Multiply"/> and <see cref="Add"/> stay
/// separate IEEE operations (never contracted), which is what lets vector lanes agree bit for bit with scalar loops.
/// </remarks>
public interface ILanes<TVector> where TVector : struct
{
    static abstract int Count { get; }
    static abstract TVector Zero { get; }
    static abstract TVector Load(ref float source, nuint offset);
    static abstract void Store(TVector value, ref float destination, nuint offset);
    static abstract TVector Broadcast(float value);
    static abstract TVector Add(TVector a, TVector b);
    static abstract TVector Subtract(TVector a, TVector b);
    static abstract TVector Multiply(TVector a, TVector b);
    static abstract TVector Divide(TVector a, TVector b);
    static abstract TVector Sqrt(TVector a);

    /// <summary>a * b + c with one rounding.</summary>
    static abstract TVector FusedMultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>The vector folded to four lanes by adding its 128-bit quarters (or halves).</summary>
    static abstract Vector128<float> Fold(TVector a);

    /// <summary>The sum of all lanes.</summary>
    static abstract float Sum(TVector a);

    /// <summary>Bit k set when lane k of a is at least b.</summary>
    static abstract ulong GreaterThanOrEqualMask(TVector a, TVector b);
}

/// <summary>16 float lanes (AVX-512).</summary>
public readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => 16;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FusedMultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Fold(Vector512<float> a)
    {
        Vector256<float> half = a.GetLower() + a.GetUpper();
        return half.GetLower() + half.GetUpper();
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> a) => Vector512.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong GreaterThanOrEqualMask(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b).ExtractMostSignificantBits();
}

/// <summary>8 float lanes (AVX2).</summary>
public readonly struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => 8;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Fold(Vector256<float> a) => a.GetLower() + a.GetUpper();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> a) => Vector256.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong GreaterThanOrEqualMask(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b).ExtractMostSignificantBits();
}

/// <summary>One lane: the scalar instantiation, used when no vector width is accelerated.</summary>
public readonly struct NoLanes : ILanes<float>
{
    public static int Count => 1;
    public static float Zero => 0f;
    public static float Load(ref float source, nuint offset) => Unsafe.Add(ref source, offset);
    public static void Store(float value, ref float destination, nuint offset) => Unsafe.Add(ref destination, offset) = value;
    public static float Broadcast(float value) => value;
    public static float Add(float a, float b) => a + b;
    public static float Subtract(float a, float b) => a - b;
    public static float Multiply(float a, float b) => a * b;
    public static float Divide(float a, float b) => a / b;
    public static float Sqrt(float a) => MathF.Sqrt(a);
    public static float FusedMultiplyAdd(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    public static Vector128<float> Fold(float a) => Vector128.CreateScalar(a);
    public static float Sum(float a) => a;
    public static ulong GreaterThanOrEqualMask(float a, float b) => a >= b ? 1UL : 0UL;
}

/// <summary>Which width this machine runs.</summary>
public static class LaneWidth
{
    /// <summary>16 with AVX-512, 8 with AVX2, 0 when neither is accelerated (scalar loops only).</summary>
    public static int Floats => Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 0;
}
