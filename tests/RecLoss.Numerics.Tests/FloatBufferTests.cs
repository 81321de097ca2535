using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RecLoss.Numerics;

namespace RecLoss.Numerics.Tests;

public class FloatBufferTests
{
    private static unsafe long Address(Span<float> span) => (long)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(70_000 * 64)]   // a large table: where a plain float[]'s data sits 24 bytes past a line
    public void Element0_starts_a_cache_line_and_the_buffer_starts_zeroed(int length)
    {
        var buffer = new FloatBuffer(length);
        Assert.True(buffer.IsLineAligned);
        Assert.Equal(0, Address(buffer.AsSpan()) % FloatBuffer.Alignment);
        Assert.Equal(length, buffer.Length);
        Assert.Equal(length, buffer.AsSpan().Length);
        Assert.True(buffer.AsSpan().IndexOfAnyExcept(0f) < 0);
    }

    [Fact]
    public void Spans_indexer_and_copies_address_the_same_elements()
    {
        var buffer = FloatBuffer.CopyOf([1, 2, 3, 4, 5]);
        buffer[1] += 10;
        buffer.AsSpan(3)[0] = 40;
        Assert.Equal(new float[] { 1, 12, 3, 40, 5 }, buffer.ToArray());
        Assert.Equal(new float[] { 12, 3 }, buffer.AsSpan(1, 2).ToArray());
        ReadOnlySpan<float> view = buffer;
        Assert.Equal(5f, view[4]);
        buffer.Clear();
        Assert.Equal(new float[5], buffer.ToArray());
    }

    [Fact]
    public void Compares_and_enumerates_by_its_elements_only()
    {
        FloatBuffer a = FloatBuffer.CopyOf([1, 2, 3]), b = FloatBuffer.CopyOf([1, 2, 3]);
        Assert.Equal(a, b);
        Assert.Equal([1f, 2f, 3f], a);
        b[2] = 4;
        Assert.NotEqual(a, b);
        Assert.Equal(4f, b.Max());
        Assert.Equal(3, b.Count);
    }

    [Fact]
    public void Reads_and_writes_past_the_length_are_refused_although_the_padding_is_there()
    {
        var buffer = new FloatBuffer(3);
        Assert.Throws<IndexOutOfRangeException>(() => buffer[3]);
        Assert.Throws<IndexOutOfRangeException>(() => buffer[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.AsSpan(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FloatBuffer(-1));
    }

    [Fact]
    public void The_data_stays_where_it_is_across_collections()
    {
        var buffer = new FloatBuffer(100_000);
        long before = Address(buffer.AsSpan());
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Assert.Equal(before, Address(buffer.AsSpan()));
    }
}
