using RecLoss.Core.Encoders;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Encoders;

public class RowSetTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(63, 40)]
    [InlineData(65, 300)]
    [InlineData(1000, 30)]        // few rows: cleared row by row, sorted by a sort
    [InlineData(1000, 5000)]      // many: cleared whole, sorted from the bits
    public void Holds_each_row_once_across_clears(int capacity, int adds)
    {
        var set = new RowSet(capacity);
        var rng = new Xoshiro256(3);
        for (int round = 0; round < 4; round++)
        {
            set.Clear();
            var expected = new List<int>();
            for (int a = 0; a < adds; a++)
            {
                int row = rng.NextInt(capacity);
                bool isNew = !expected.Contains(row);
                Assert.Equal(isNew, set.Add(row));
                if (isNew)
                {
                    expected.Add(row);
                }
            }
            Assert.Equal(expected, set.Rows.ToArray());           // first-seen order
            Assert.All(expected, row => Assert.True(set.Contains(row)));
            set.SortAscending();
            Assert.Equal(expected.Order(), set.Rows.ToArray());
            Assert.Equal(Enumerable.Range(0, capacity).Count(set.Contains), expected.Count);
        }
    }
}
