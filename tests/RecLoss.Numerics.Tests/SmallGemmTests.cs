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
}
