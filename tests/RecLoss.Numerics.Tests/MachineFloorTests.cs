using RecLoss.Numerics;

namespace RecLoss.Numerics.Tests;

public class MachineFloorTests
{
    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 1)]
    [InlineData(10, 7)]
    [InlineData(10, 10)]
    [InlineData(38048, 28269)]
    public void DistinctAscendingRows_ExactCountStrictlyAscendingInRange(int tableRows, int count)
    {
        var rng = new Xoshiro256(7);
        int[] rows = Enumerable.Repeat(-1, count).ToArray();
        MachineFloor.DistinctAscendingRows(ref rng, tableRows, rows);
        for (int p = 0; p < count; p++)
        {
            Assert.InRange(rows[p], 0, tableRows - 1);
            if (p > 0)
            {
                Assert.True(rows[p] > rows[p - 1], $"rows[{p}] = {rows[p]} after {rows[p - 1]}");
            }
        }
    }

    [Fact]
    public void DistinctAscendingRows_EveryRowEquallyLikely()
    {
        // 20,000 draws of 3 rows of 12: each row is kept 5,000 times in expectation (p = 1/4).
        const int tableRows = 12, count = 3, draws = 20_000;
        var rng = new Xoshiro256(11);
        var kept = new int[tableRows];
        var rows = new int[count];
        for (int n = 0; n < draws; n++)
        {
            MachineFloor.DistinctAscendingRows(ref rng, tableRows, rows);
            foreach (int r in rows)
            {
                kept[r]++;
            }
        }
        double expected = draws * (double)count / tableRows;
        double chiSquare = kept.Sum(k => (k - expected) * (k - expected) / expected);
        // Chi-square with 11 degrees of freedom: P(X > 31.3) = 0.001. A biased rule (say, always the first rows)
        // puts thousands here.
        Assert.True(chiSquare < 31.3, $"chi-square {chiSquare:F1}: counts {string.Join(",", kept)}");
    }

    [Fact]
    public void RowUpdateSecondsPerStep_RejectsMoreRowsThanTheTable()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => MachineFloor.RowUpdateSecondsPerStep(100, 8, 101, 1));
        Assert.Contains("1 to 100 rows per step", error.Message);
    }

    [Fact]
    public void RowUpdateSecondsPerStep_SmallTable_PositiveAndFinite()
    {
        double seconds = MachineFloor.RowUpdateSecondsPerStep(200, 16, 50, 2, steps: 8);
        Assert.True(seconds > 0 && double.IsFinite(seconds), $"{seconds}");
    }

    [Theory]
    [InlineData(64, 101)]
    [InlineData(16, 7)]
    public void GatherDotRowsPerSecond_SmallTable_PositiveAndFinite(int dim, int rowsPerCall)
    {
        double rate = MachineFloor.GatherDotRowsPerSecond(500, dim, rowsPerCall, 2, seconds: 0.01);
        Assert.True(rate > 0 && double.IsFinite(rate), $"{rate}");
    }
}
