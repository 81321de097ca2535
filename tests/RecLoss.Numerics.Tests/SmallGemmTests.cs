using RecLoss.Numerics;

namespace RecLoss.Numerics.Tests;

public class SmallGemmTests
{
    private static float[] Random(int n, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        return Enumerable.Range(0, n).Select(_ => (float)rng.NextGaussian()).ToArray();
    }

    [Theory]
    [InlineData(64, false)]
    [InlineData(64, true)]
    [InlineData(7, true)]
    [InlineData(33, false)]
    public void GatherTimes_EqualsTheNaiveProduct(int dim, bool accumulate)
    {
        float[] table = Random(10 * dim, 1), b = Random(dim * dim, 2), start = Random(5 * dim, 3);
        int[] rows = [3, 0, 9, 3, 7];
        float[] c = (float[])start.Clone();
        SmallGemm.GatherTimes(table, rows, b, dim, c, accumulate);
        for (int e = 0; e < rows.Length; e++)
        {
            for (int j = 0; j < dim; j++)
            {
                double expected = accumulate ? start[e * dim + j] : 0;
                for (int k = 0; k < dim; k++)
                {
                    expected += (double)table[rows[e] * dim + k] * b[k * dim + j];
                }
                Assert.Equal(expected, c[e * dim + j], 3e-4);
            }
        }
    }

    [Theory]
    [InlineData(64)]
    [InlineData(5)]
    public void AddOuterProducts_EqualsTheNaiveSum(int dim)
    {
        float[] table = Random(6 * dim, 4), x = Random(4 * dim, 5), start = Random(dim * dim, 6);
        int[] rows = [5, 1, 1, 0];
        float[] c = (float[])start.Clone();
        SmallGemm.AddOuterProducts(x, table, rows, dim, c);
        for (int i = 0; i < dim; i++)
        {
            for (int j = 0; j < dim; j++)
            {
                double expected = start[i * dim + j];
                for (int e = 0; e < rows.Length; e++)
                {
                    expected += (double)x[e * dim + i] * table[rows[e] * dim + j];
                }
                Assert.Equal(expected, c[i * dim + j], 3e-4);
            }
        }
    }

    // The dim-64 kernels keep their sums in registers, two entries or eight rows at a time: each element must still be
    // the float sum in order, mul then add, as the plain loop and every other machine compute it.
    [Theory]
    [InlineData(5, false)]
    [InlineData(6, true)]
    [InlineData(1, true)]
    public void GatherTimes64_IsEachElementsFloatSumInOrder_BitForBit(int entries, bool accumulate)
    {
        float[] table = Random(10 * 64, 7), b = Random(64 * 64, 8), start = Random(entries * 64, 9);
        int[] rows = [.. Enumerable.Range(0, entries).Select(e => e * 7 % 10)];
        float[] c = (float[])start.Clone();
        SmallGemm.GatherTimes(table, rows, b, 64, c, accumulate);
        for (int e = 0; e < entries; e++)
        {
            for (int j = 0; j < 64; j++)
            {
                float expected = accumulate ? start[e * 64 + j] : 0f;
                for (int k = 0; k < 64; k++)
                {
                    float product = table[rows[e] * 64 + k] * b[k * 64 + j];
                    expected += product;
                }
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(c[e * 64 + j]));
            }
        }
    }

    [Fact]
    public void AddOuterProducts64_IsEachElementsFloatSumInOrder_BitForBit()
    {
        float[] table = Random(6 * 64, 10), x = Random(9 * 64, 11), start = Random(64 * 64, 12);
        int[] rows = [5, 1, 1, 0, 3, 2, 5, 4, 0];
        float[] c = (float[])start.Clone();
        SmallGemm.AddOuterProducts(x, table, rows, 64, c);
        for (int i = 0; i < 64; i++)
        {
            for (int j = 0; j < 64; j++)
            {
                float expected = start[i * 64 + j];
                for (int e = 0; e < rows.Length; e++)
                {
                    float product = x[e * 64 + i] * table[rows[e] * 64 + j];
                    expected += product;
                }
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(c[i * 64 + j]));
            }
        }
    }
}
