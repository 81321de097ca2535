using RecLoss.Numerics;

namespace RecLoss.Numerics.Tests;

public class SparseMatrixTests
{
    /// <summary>A random [rows, cols] CSR matrix, some rows empty, columns ascending per row.</summary>
    private static SparseMatrix Random(int rows, int cols, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var pointers = new int[rows + 1];
        var columns = new List<int>();
        var values = new List<float>();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                if (r % 7 != 3 && rng.NextDouble() < 0.15)
                {
                    columns.Add(c);
                    values.Add((float)(rng.NextDouble() + 0.05));
                }
            }
            pointers[r + 1] = columns.Count;
        }
        return new SparseMatrix(rows, cols, pointers, [.. columns], [.. values]);
    }

    // dim 64 takes the four-register kernel, dim 12 the general loop.
    [Theory]
    [InlineData(64)]
    [InlineData(12)]
    public void MultiplyRowsSparse_OverTheNonzeroRows_GivesTheFullProductsBits_AndFlagsTheTouchedRows(int dim)
    {
        const int rows = 90, cols = 70;
        SparseMatrix a = Random(rows, cols, 5);
        var rng = new Xoshiro256(9);
        bool[] nonzero = [.. Enumerable.Range(0, cols).Select(c => c % 5 == 1 || c == 0)];
        var dense = new float[cols * dim];
        for (int c = 0; c < cols; c++)
        {
            for (int d = 0; d < dim && nonzero[c]; d++)
            {
                dense[c * dim + d] = (float)(rng.NextDouble() * 2 - 1);
            }
        }
        var full = new float[rows * dim];
        a.MultiplyRows(0, rows, dense, dim, full);
        var sparse = Enumerable.Repeat(float.NaN, rows * dim).ToArray();   // every row must be written
        var touched = Enumerable.Repeat(true, rows).ToArray();
        a.MultiplyRowsSparse(0, 40, dense, dim, sparse, nonzero, touched);
        a.MultiplyRowsSparse(40, rows, dense, dim, sparse, nonzero, touched);

        Assert.Equal(full.Select(BitConverter.SingleToInt32Bits), sparse.Select(BitConverter.SingleToInt32Bits));
        for (int r = 0; r < rows; r++)
        {
            bool expected = false;
            for (int p = a.RowPointers[r]; p < a.RowPointers[r + 1]; p++)
            {
                expected |= nonzero[a.Columns[p]];
            }
            Assert.Equal(expected, touched[r]);
        }
        Assert.Contains(false, touched);
        Assert.Contains(true, touched);
    }

    [Fact]
    public void MultiplyRowsSparse_SkipsTheUnflaggedRows()
    {
        // The contract: unflagged rows are taken as zero, whatever they hold.
        SparseMatrix a = new(1, 2, [0, 2], [0, 1], [1f, 1f]);
        float[] dense = [1, 2, 10, 20];   // dim 2: row 0 = (1, 2), row 1 = (10, 20)
        var output = new float[2];
        var touched = new bool[1];
        a.MultiplyRowsSparse(0, 1, dense, 2, output, [true, false], touched);
        Assert.Equal([1f, 2f], output);
        Assert.True(touched[0]);
        a.MultiplyRowsSparse(0, 1, dense, 2, output, [false, false], touched);
        Assert.Equal([0f, 0f], output);
        Assert.False(touched[0]);
    }

    // LightGCN's step forward computes a layer on the rows a later layer needs: those rows must be the full product's
    // bits and every other row must keep what it held.
    [Theory]
    [InlineData(64)]
    [InlineData(12)]
    public void MultiplyFlaggedRows_WritesTheFlaggedRowsOfTheFullProduct_AndNothingElse(int dim)
    {
        const int rows = 90, cols = 70;
        SparseMatrix a = Random(rows, cols, 6);
        var rng = new Xoshiro256(3);
        float[] dense = [.. Enumerable.Range(0, cols * dim).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        var full = new float[rows * dim];
        a.MultiplyRows(0, rows, dense, dim, full);
        bool[] flagged = [.. Enumerable.Range(0, rows).Select(r => r % 3 == 0 || r == rows - 1)];
        var output = Enumerable.Repeat(-7f, rows * dim).ToArray();
        a.MultiplyFlaggedRows(0, 50, dense, dim, output, flagged);
        a.MultiplyFlaggedRows(50, rows, dense, dim, output, flagged);
        for (int r = 0; r < rows; r++)
        {
            float[] expected = flagged[r] ? full[(r * dim)..((r + 1) * dim)] : [.. Enumerable.Repeat(-7f, dim)];
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), output[(r * dim)..((r + 1) * dim)].Select(BitConverter.SingleToInt32Bits));
        }
    }
}
