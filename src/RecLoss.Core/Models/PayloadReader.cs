using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace RecLoss.Core.Models;

/// <summary>Reads one section's payload with every length checked against the bytes left (a bad count is an error,
/// never an allocation beyond the payload).</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> payload)
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _offset;

    private readonly int Left => _payload.Length - _offset;

    private ReadOnlySpan<byte> Take(long bytes, string what)
    {
        if (bytes < 0 || bytes > Left)
        {
            throw new FormatException($"{what}: needs {bytes:N0} bytes at byte {_offset:N0}, but the section has {Left:N0} left");
        }
        ReadOnlySpan<byte> slice = _payload.Slice(_offset, (int)bytes);
        _offset += (int)bytes;
        return slice;
    }

    public int Int(string what)
    {
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
        return value <= int.MaxValue ? (int)value : throw new FormatException($"{what}: {value} is beyond the largest count ({int.MaxValue})");
    }

    public long Long(string what)
    {
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
        return value <= long.MaxValue ? (long)value : throw new FormatException($"{what}: {value} is beyond the largest count");
    }

    public double Double(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    /// <summary>A count of things that take at least <paramref name="minBytesEach"/> bytes each: refused when the rest of
    /// the payload could not hold that many.</summary>
    public int Count(string what, int minBytesEach, bool wide = false)
    {
        long count = wide ? Long(what) : Int(what);
        if (count > Left / minBytesEach)
        {
            throw new FormatException($"{what}: {count:N0}, but the {Left:N0} bytes left hold at most {Left / minBytesEach:N0}");
        }
        return (int)count;
    }

    public string Utf8(string what)
    {
        int length = Int($"{what} length");
        try
        {
            return s_strict.GetString(Take(length, what));
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException($"{what}: not valid UTF-8");
        }
    }

    public int[] Ints(long count, string what) => MemoryMarshal.Cast<byte, int>(Take(Bytes(count, 4, what), what)).ToArray();

    public float[] Floats(long count, string what) => MemoryMarshal.Cast<byte, float>(Take(Bytes(count, 4, what), what)).ToArray();

    public double[] Doubles(long count, string what) => MemoryMarshal.Cast<byte, double>(Take(Bytes(count, 8, what), what)).ToArray();

    /// <summary>count x size, refused before it could overflow or exceed the payload.</summary>
    private readonly long Bytes(long count, int size, string what) => count >= 0 && count <= Left / size
        ? count * size
        : throw new FormatException($"{what}: {count:N0} values of {size} bytes at byte {_offset:N0}, but the section has {Left:N0} bytes left");

    /// <summary>Refuses bytes after the last field.</summary>
    public readonly void End()
    {
        if (Left != 0)
        {
            throw new FormatException($"{Left:N0} bytes follow the last field at byte {_offset:N0}");
        }
    }
}
