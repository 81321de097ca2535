using RecLoss.Numerics;

namespace RecLoss.Numerics.Tests;

public class OwnersTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)]
    public void Of_equals_the_remainder(int count)
    {
        var owners = new Owners(count);
        var rng = new Xoshiro256(5);
        int[] edges = [0, 1, count - 1, count, count + 1, int.MaxValue, int.MaxValue - 1, 1 << 30];
        foreach (int index in edges.Concat(Enumerable.Range(0, 10_000).Select(_ => (int)(rng.NextUInt64() >> 33))))
        {
            Assert.Equal(index % count, owners.Of(index));
            Assert.Equal(index / count, owners.Quotient(index));
        }
    }

    [Fact]
    public void A_count_below_one_is_refused() => Assert.Throws<ArgumentOutOfRangeException>(() => new Owners(0));
}
