using System.Runtime.CompilerServices;

namespace RecLoss.Numerics;

/// <summary>
/// Which of <c>count</c> workers owns an index: <c>index % count</c>, without a division. Hot loops that split
/// sums by owner test every entry, and a 32-bit division costs tens of cycles; this is two multiplications
/// (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019: exact for every uint index).
/// </summary>
public readonly struct Owners
{
    private readonly ulong _magic;    // ceil(2^64 / count)
    private readonly uint _count;

    public Owners(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _count = (uint)count;
        _magic = ulong.MaxValue / _count + 1;
    }

    public int Count => (int)_count;

    /// <summary><c>index / count</c> for a non-negative index: the high half of the same product (exact for every
    /// 32-bit index, by the same theorem).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Quotient(int index) => _count == 1 ? index : (int)Math.BigMul(_magic, (uint)index, out _);

    /// <summary><c>index % count</c> for a non-negative index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Of(int index)
    {
        if (_count == 1)
        {
            return 0;   // the magic number wraps to 0 for count 1
        }
        ulong low = _magic * (uint)index;
        return (int)Math.BigMul(low, _count, out _);
    }
}
