using RecLoss.Core.Data;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Sampling;

public class InBatchAllSamplerTests
{
    [Fact]
    public void FullBatch_GivesEveryOtherRowOnce_InRowOrderAfterTheOwnRow()
    {
        int[] positives = [10, 11, 12, 13, 14];
        var sampler = new InBatchAllSampler();
        sampler.BeginBatch(positives);
        var rng = new Xoshiro256(1);
        var drawn = new int[4];
        for (int r = 0; r < positives.Length; r++)
        {
            sampler.SampleRow(ref rng, r, userIndex: r, drawn);
            int[] expected = [.. Enumerable.Range(1, 4).Select(k => positives[(r + k) % positives.Length])];
            Assert.Equal(expected, drawn);
            Assert.DoesNotContain(positives[r], drawn);
        }
    }

    [Fact]
    public void NothingIsMasked_AnotherRowsPositiveEqualToTheOwnStays()
    {
        // Rows 0 and 2 share item 7, and row 1's item 8 is also user 0's train item: the reference keeps both.
        var train = InteractionMatrix.FromPairs(3, 10, [0, 0, 1, 2], [7, 8, 8, 7], out _);
        var sampler = new InBatchAllSampler();
        sampler.BeginBatch([7, 8, 7]);
        var rng = new Xoshiro256(1);
        var drawn = new int[2];
        sampler.SampleRow(ref rng, 0, 0, drawn);
        Assert.Equal([8, 7], drawn);
        Assert.True(train.Contains(0, 8) && train.Contains(0, 7));
    }

    [Fact]
    public void ShortLastBatch_CyclesThroughItsOtherRows()
    {
        var sampler = new InBatchAllSampler();
        sampler.BeginBatch([20, 21, 22]);
        var rng = new Xoshiro256(1);
        var drawn = new int[7];      // a batch of 8 rows' N = 7, in a last batch of 3
        sampler.SampleRow(ref rng, 1, 0, drawn);
        Assert.Equal([22, 20, 22, 20, 22, 20, 22], drawn);
    }

    [Fact]
    public void AloneInItsBatch_IsAClearError_AndRowlessDrawsAreRefused()
    {
        var sampler = new InBatchAllSampler();
        sampler.BeginBatch([5]);
        var rng = new Xoshiro256(1);
        var e = Assert.Throws<NoNegativeException>(() => sampler.SampleRow(ref rng, 0, 3, new int[4]));
        Assert.Contains("--batch-size", e.Message);
        Assert.Equal(3, e.UserIndex);
        Assert.Throws<InvalidOperationException>(() => sampler.Sample(ref rng, 3, new int[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.SampleRow(ref rng, 1, 3, new int[4]));
    }

    [Fact]
    public void Options_RefuseMixturesAndPerEpochDraws_AndMarkNegativesAsBatchPositives()
    {
        var train = InteractionMatrix.FromPairs(2, 4, [0, 1], [1, 2], out _);
        Assert.Throws<ArgumentException>(() => new SamplerOptions
        {
            Mixture = [new SamplerShare(SamplerKind.InBatchAll, 0.5), new SamplerShare(SamplerKind.Uniform, 0.5)],
        }.Validate());
        Assert.Throws<ArgumentException>(() => new SamplerOptions { Kind = SamplerKind.InBatchAll, Timing = NegativeDrawTiming.PerEpoch }.Validate());
        NegativeSampling all = new SamplerOptions { Kind = SamplerKind.InBatchAll }.Create(train, false, 3);
        Assert.IsType<InBatchAllSampler>(all.Drawn);
        Assert.True(all.NegativesFromBatch);
        Assert.True(new SamplerOptions { Kind = SamplerKind.InBatch }.Create(train, false, 3).NegativesFromBatch);
        Assert.False(new SamplerOptions { Kind = SamplerKind.Uniform }.Create(train, false, 3).NegativesFromBatch);
        Assert.False(new SamplerOptions { Kind = SamplerKind.InBatchAll, FalseNegativeRatio = 0.5 }.Create(train, false, 3).NegativesFromBatch);
    }

    [Fact]
    public void FalseNegatives_WrapTheRowAwareSampler()
    {
        var train = InteractionMatrix.FromPairs(2, 6, [0, 0, 1], [4, 5, 1], out _);
        var sampler = new FalseNegativeSampler(new InBatchAllSampler(), train, ratio: 1);
        sampler.BeginBatch([1, 2, 3]);
        var rng = new Xoshiro256(4);
        var drawn = new int[2];
        sampler.SampleRow(ref rng, 0, 0, drawn);
        Assert.All(drawn, i => Assert.True(train.Contains(0, i)));   // ratio 1: every slot replaced by the user's items
        var keep = new FalseNegativeSampler(new InBatchAllSampler(), train, ratio: 0);
        keep.BeginBatch([1, 2, 3]);
        keep.SampleRow(ref rng, 2, 1, drawn);
        Assert.Equal([1, 2], drawn);
    }
}
