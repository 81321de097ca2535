using RecLoss.Numerics;

namespace RecLoss.Numerics.Tests;

public class GatherScaledSumTests
{
    [Theory]
    [InlineData(64, 101, 0)]
    [InlineData(64, 101, 1)]
    [InlineData(64, 101, 37)]
    [InlineData(64, 1, 5)]
    [InlineData(10, 7, 9)]
    public void The_sum_equals_one_multiply_add_per_slot_in_order_bit_for_bit(int dim, int slotsPerRow, int count)
    {
        var rng = new Xoshiro256((ulong)(dim * 1000 + count));
        int rows = 50;
        float[] table = [.. Enumerable.Range(0, rows * dim).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        float[] coefficients = [.. Enumerable.Range(0, rows * slotsPerRow).Select(_ => (float)(rng.NextDouble() * 3 - 1.5))];
        int[] slots = [.. Enumerable.Range(0, count).Select(_ => rng.NextInt(rows * slotsPerRow))];

        float[] expected = new float[dim];
        foreach (int s in slots)
        {
            VectorKernels.MultiplyAdd<float>(table.AsSpan(s / slotsPerRow * dim, dim), coefficients[s], expected);
        }
        float[] actual = [.. Enumerable.Repeat(float.NaN, dim)];   // whatever was there is overwritten
        GatherScaledSum.Compute(table, slots, new Owners(slotsPerRow), coefficients, actual);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void A_slot_beyond_the_table_is_refused()
    {
        float[] table = new float[2 * 64], coefficients = new float[3 * 4], destination = new float[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => GatherScaledSum.Compute(table, [11], new Owners(4), coefficients, destination));
    }
}
