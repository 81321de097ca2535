using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace RecLoss.Numerics;

/// <summary>Software prefetch of a row that a gather loop will read soon.</summary>
/// <remarks>Training reads item rows in data-dependent order, which hardware prefetchers cannot predict.</remarks>
public static class Prefetch
{
    /// <summary>Asks for the cache lines of <c>x[offset .. offset + length)</c> to be brought into L1; no-op without SSE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Row<T>(ReadOnlySpan<T> x, int offset, int length)
        where T : unmanaged
    {
        if (!Sse.IsSupported || (uint)offset >= (uint)x.Length)
        {
            return;
        }
        int bytes = Math.Min(length, x.Length - offset) * sizeof(T);
        byte* p = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetReference(x), offset));
        for (int b = 0; b < bytes; b += 64)
        {
            Sse.Prefetch0(p + b);
        }
    }
}
