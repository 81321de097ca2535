using RecLoss.Core.Data;

namespace RecLoss.Core.Sampling;

/// <summary>Which negative sampler draws the N negatives of a training row.</summary>
public enum SamplerKind
{
    /// <summary>Uniform over all items (the reference).</summary>
    Uniform,

    /// <summary>Proportional to train count^alpha (<see cref="PopularitySampler"/>).</summary>
    Popularity,
}

/// <summary>The sampler and its parameters.</summary>
public sealed class SamplerOptions
{
    public SamplerKind Kind { get; init; } = SamplerKind.Uniform;

    /// <summary>The popularity exponent (popularity sampler only), in [0, 10].</summary>
    public double Alpha { get; init; } = 1;

    /// <summary>Share of each row's negatives replaced by the user's own train items (BSL's r_noise), in [0, 1].</summary>
    public double FalseNegativeRatio { get; init; }

    /// <summary>Builds the sampler for a train matrix; <paramref name="excludePositives"/> rejects the user's own items.</summary>
    public INegativeSampler Create(InteractionMatrix train, bool excludePositives)
    {
        INegativeSampler sampler = Kind switch
        {
            SamplerKind.Popularity => new PopularitySampler(train, Alpha, excludePositives),
            _ => new UniformSampler(train.ItemCount, excludePositives ? train : null),
        };
        return FalseNegativeRatio > 0 ? new FalseNegativeSampler(sampler, train, FalseNegativeRatio) : sampler;
    }
}
