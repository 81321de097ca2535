using RecLoss.Core.Data;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Sampling;

public class SamplerOptionsTests
{
    [Theory]
    [InlineData(new[] { 0.5, 0.5 }, 10, new[] { 5, 5 })]
    [InlineData(new[] { 0.3, 0.7 }, 10, new[] { 3, 7 })]
    [InlineData(new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 }, 10, new[] { 4, 3, 3 })]   // tie: the earlier part
    [InlineData(new[] { 0.25, 0.75 }, 3, new[] { 1, 2 })]                   // 0.75 and 2.25: remainder to 0.75
    [InlineData(new[] { 0.1, 0.9 }, 1, new[] { 0, 1 })]
    public void Counts_LargestRemainder(double[] shares, int negatives, int[] expected)
    {
        SamplerShare[] parts = shares.Select((s, i) => new SamplerShare((SamplerKind)i, s)).ToArray();
        int[] counts = SamplerOptions.Counts(parts, negatives);
        Assert.Equal(expected, counts);
        Assert.Equal(negatives, counts.Sum());
    }

    [Fact]
    public void Mixture_FillsEachPartsSlotsWithItsOwnSampler()
    {
        // Popularity with alpha 10 on these counts draws item 0 almost surely; in-batch draws only batch positives.
        var train = InteractionMatrix.FromPairs(3, 6, [0, 1, 1, 2, 2], [0, 0, 1, 0, 2], out _);
        var options = new SamplerOptions { Mixture = [new(SamplerKind.InBatch, 0.5), new(SamplerKind.Popularity, 0.5)], Alpha = 10 };
        NegativeSampling plan = options.Create(train, excludePositives: false, negatives: 6);
        Assert.Equal((6, 0), (plan.DrawnCount, plan.HardCount));
        var sampler = (IBatchNegativeSampler)plan.Drawn;
        sampler.BeginBatch([4, 5, 4]);
        var rng = new Xoshiro256(3);
        int[] draws = new int[6];
        sampler.Sample(ref rng, 0, draws);
        Assert.All(draws[..3], i => Assert.Contains(i, new[] { 4, 5 }));
        Assert.All(draws[3..], i => Assert.Equal(0, i));
    }

    [Fact]
    public void Hard_LaysOutDrawnThenHardSlots_WithFourCandidatesPerHardNegativeByDefault()
    {
        var train = InteractionMatrix.FromPairs(1, 50, [0], [3], out _);
        NegativeSampling plan = new SamplerOptions { Mixture = [new(SamplerKind.Hard, 0.3), new(SamplerKind.Uniform, 0.7)] }
            .Create(train, excludePositives: false, negatives: 10);
        Assert.Equal((7, 3, 12), (plan.DrawnCount, plan.HardCount, plan.HardCandidates));
        Assert.NotNull(plan.CandidateSampler);
        NegativeSampling all = new SamplerOptions { Kind = SamplerKind.Hard, HardCandidates = 7 }.Create(train, false, 5);
        Assert.Equal((0, 5, 7), (all.DrawnCount, all.HardCount, all.HardCandidates));
    }

    [Theory]
    [InlineData("sum to 1")]
    [InlineData("appears twice")]
    [InlineData("per epoch")]
    [InlineData("hard negatives")]
    [InlineData("at least 5 candidates")]
    public void BadOptions_AreRejectedWithTheReason(string reason)
    {
        var train = InteractionMatrix.FromPairs(1, 50, [0], [3], out _);
        SamplerOptions options = reason switch
        {
            "sum to 1" => new() { Mixture = [new(SamplerKind.Hard, 0.5), new(SamplerKind.Uniform, 0.4)] },
            "appears twice" => new() { Mixture = [new(SamplerKind.Uniform, 0.5), new(SamplerKind.Uniform, 0.5)] },
            "per epoch" => new() { Kind = SamplerKind.InBatch, Timing = NegativeDrawTiming.PerEpoch },
            "hard negatives" => new() { Kind = SamplerKind.Hard, FalseNegativeRatio = 0.1 },
            _ => new() { Kind = SamplerKind.Hard, HardCandidates = 4 },
        };
        var e = Assert.ThrowsAny<ArgumentException>(() => options.Create(train, false, 5));
        Assert.Contains(reason, e.Message);
    }
}
