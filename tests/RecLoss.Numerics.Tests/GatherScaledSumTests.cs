using RecLoss.Numerics;

namespace RecLoss.Numerics.Tests;

public class GatherScaledSumTests
{
    [Theory]
    [InlineData(64, 0)]
    [InlineData(64, 1)]
    [InlineData(64, 37)]
    [InlineData(64, 500)]
    [InlineData(10, 9)]
    public void The_sums_equal_one_multiply_add_and_one_add_per_term_in_order_bit_for_bit(int dim, int count)
    {
        var rng = new Xoshiro256((ulong)(dim * 1000 + count));
        int rows = 50;
        float[] table = [.. Enumerable.Range(0, rows * dim).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        SlotTerm[] terms = [.. Enumerable.Range(0, count).Select(_ =>
            new SlotTerm(rng.NextInt(rows), (float)(rng.NextDouble() * 3 - 1.5), (float)(rng.NextDouble() * 2 - 1)))];

        float[] expected = new float[dim];
        float expectedB = 0;
        foreach (SlotTerm term in terms)
        {
            VectorKernels.MultiplyAdd<float>(table.AsSpan(term.Row * dim, dim), term.A, expected);
            expectedB += term.B;
        }
        float[] actual = [.. Enumerable.Repeat(float.NaN, dim)];   // whatever was there is overwritten
        float actualB = GatherScaledSum.Compute(table, terms, actual);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(BitConverter.SingleToInt32Bits(expectedB), BitConverter.SingleToInt32Bits(actualB));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(10)]
    public void A_row_beyond_the_table_is_refused(int dim)
    {
        float[] table = new float[2 * dim], destination = new float[dim];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GatherScaledSum.Compute(table, [new SlotTerm(2, 1f, 0f)], destination));
        Assert.Contains("row 2", error.Message);
    }
}
