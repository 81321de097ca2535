using System.Runtime.CompilerServices;
using System.Numerics;

namespace RecLoss.Numerics;

/// <summary>xoshiro256** pseudo-random generator, seeded through SplitMix64.</summary>
/// <remarks>
/// A value type so that every worker, row or epoch owns an independent stream without allocation.
/// Streams are derived from (seed, a, b, c) by <see cref="ForStream"/>, so a draw depends on what it is for,
/// never on which thread makes it: this is what keeps training identical whatever the thread count.
/// </remarks>
public struct Xoshiro256
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator whose state is four SplitMix64 outputs of <paramref name="seed"/>.</summary>
    public Xoshiro256(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>An independent stream for one purpose, e.g. (seed, epoch, row, role).</summary>
    public static Xoshiro256 ForStream(ulong seed, ulong a, ulong b = 0, ulong c = 0)
    {
        // Mix each coordinate through SplitMix64 so nearby tuples give unrelated states.
        ulong x = seed;
        ulong h = SplitMix64(ref x);
        x = h ^ (a * 0x9E3779B97F4A7C15UL);
        h = SplitMix64(ref x);
        x = h ^ (b * 0xC2B2AE3D27D4EB4FUL);
        h = SplitMix64(ref x);
        x = h ^ (c * 0x165667B19E3779F9UL);
        h = SplitMix64(ref x);
        return new Xoshiro256(h);
    }

    /// <summary>One step of SplitMix64 (Steele, Lea and Flood 2014).</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 uniformly distributed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Next 32 uniformly distributed bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint NextUInt32() => (uint)(NextUInt64() >> 32);

    /// <summary>Uniform integer in [0, <paramref name="n"/>), unbiased (Lemire's multiply-shift with rejection).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int n)
    {
        uint bound = (uint)n;
        ulong m = (ulong)NextUInt32() * bound;
        uint low = (uint)m;
        if (low < bound)
        {
            uint threshold = (0u - bound) % bound;
            while (low < threshold)
            {
                m = (ulong)NextUInt32() * bound;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal draw (Box-Muller; one of the pair is discarded to keep the state a plain value).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // in (0, 1], so the log is finite
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fisher-Yates shuffle of <paramref name="values"/> in place.</summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
