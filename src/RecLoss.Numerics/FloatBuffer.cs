using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RecLoss.Numerics;

/// <summary>A zeroed float array whose element 0 starts a 64-byte cache line, handed out as spans.</summary>
/// <remarks>
/// .NET 10 puts a large float[]'s data 24 bytes past a line, so a 64-float row of an embedding table spans five
/// lines instead of four and every 512-bit load of it straddles two (docs/PERFORMANCE.md: MF's gathered scoring is
/// 17 % slower so). This holds a pinned array (never moved by the GC) with up to 15 floats of padding in front and
/// indexes it from the first element on a line. Where the runtime does not allow that, the padding is 0 and only
/// the speed differs. As a read-only list it compares and enumerates by its elements (tests, LINQ); hot loops take
/// spans.
/// </remarks>
public sealed class FloatBuffer : IReadOnlyList<float>
{
    /// <summary>The line every buffer starts on, in bytes.</summary>
    public const int Alignment = 64;

    private const int MaxPadding = Alignment / sizeof(float) - 1;

    private readonly float[] _array;
    private readonly int _start;

    public FloatBuffer(long length)
    {
        if (length < 0 || length > Array.MaxLength - MaxPadding)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"a float buffer holds 0 to {Array.MaxLength - MaxPadding:N0} values");
        }
        Length = (int)length;
        _array = GC.AllocateArray<float>(Length + MaxPadding, pinned: true);
        _start = PaddingOf(_array);
    }

    /// <summary>A buffer holding a copy of <paramref name="values"/>.</summary>
    public static FloatBuffer CopyOf(ReadOnlySpan<float> values)
    {
        var buffer = new FloatBuffer(values.Length);
        values.CopyTo(buffer.AsSpan());
        return buffer;
    }

    public int Length { get; }

    /// <summary>Whether element 0 starts a 64-byte line (false only where the runtime's layout prevents it).</summary>
    public bool IsLineAligned => AddressOf(_array, _start) % Alignment == 0;

    public ref float this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length)
            {
                throw new IndexOutOfRangeException($"index {index} of a float buffer of {Length}");
            }
            return ref _array[_start + index];
        }
    }

    public Span<float> AsSpan() => new(_array, _start, Length);

    public Span<float> AsSpan(int start) => AsSpan()[start..];

    public Span<float> AsSpan(int start, int length) => AsSpan().Slice(start, length);

    public float[] ToArray() => AsSpan().ToArray();

    public void Clear() => AsSpan().Clear();

    public int Count => Length;

    float IReadOnlyList<float>.this[int index] => this[index];

    public IEnumerator<float> GetEnumerator()
    {
        for (int i = 0; i < Length; i++)
        {
            yield return _array[_start + i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public static implicit operator Span<float>(FloatBuffer buffer) => buffer.AsSpan();

    public static implicit operator ReadOnlySpan<float>(FloatBuffer buffer) => buffer.AsSpan();

    /// <summary>Floats to skip so that the data starts a line: the array is pinned, so its address never changes.</summary>
    private static int PaddingOf(float[] array)
    {
        long misalignment = AddressOf(array, 0) % Alignment;
        return misalignment % sizeof(float) != 0 ? 0 : (int)((Alignment - misalignment) % Alignment / sizeof(float));
    }

    private static unsafe long AddressOf(float[] array, int index) =>
        (long)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(array), index));
}
