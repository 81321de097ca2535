using System.Globalization;
using RecLoss.Core.Data;

namespace RecLoss.Core.Sampling;

/// <summary>A way of drawing negatives.</summary>
public enum SamplerKind
{
    /// <summary>Uniform over all items (the reference).</summary>
    Uniform,

    /// <summary>Proportional to train count^alpha (<see cref="PopularitySampler"/>).</summary>
    Popularity,

    /// <summary>The other positives of the batch (<see cref="InBatchSampler"/>).</summary>
    InBatch,

    /// <summary>Every other row's positive once, nothing masked (<see cref="InBatchAllSampler"/>; N = B - 1).</summary>
    InBatchAll,

    /// <summary>Dynamic hard negatives: the top-scored of M uniform candidates outside the user's train items.</summary>
    Hard,
}

/// <summary>One part of a mixture: a sampler and its share of each row's negatives.</summary>
public readonly record struct SamplerShare(SamplerKind Kind, double Share);

/// <summary>When a row's negatives are drawn.</summary>
public enum NegativeDrawTiming
{
    /// <summary>As each batch starts (any sampler).</summary>
    PerBatch,

    /// <summary>For every row of the epoch before its first step, as the reference's data loader; batch-independent
    /// samplers only. Each row draws from the same stream either way, so both timings give the same negatives.</summary>
    PerEpoch,
}

/// <summary>How a row's N negatives are laid out: <see cref="DrawnCount"/> slots filled by <see cref="Drawn"/>, then
/// <see cref="HardCount"/> slots that the trainer fills with the top-scored of <see cref="HardCandidates"/> draws of
/// <see cref="CandidateSampler"/>.</summary>
public sealed record NegativeSampling(INegativeSampler Drawn, int DrawnCount, int HardCount, int HardCandidates,
    INegativeSampler? CandidateSampler, NegativeDrawTiming Timing = NegativeDrawTiming.PerBatch)
{
    public int Negatives => DrawnCount + HardCount;

    /// <summary>Every negative is a positive of the same batch (in-batch samplers, no false negatives): a batch L2
    /// that counts the vectors a step looks up counts them once, as positives.</summary>
    public bool NegativesFromBatch { get; init; }
}

/// <summary>The sampler (or mixture of samplers) and its parameters.</summary>
public sealed class SamplerOptions
{
    /// <summary>The sampler when <see cref="Mixture"/> is not set.</summary>
    public SamplerKind Kind { get; init; } = SamplerKind.Uniform;

    /// <summary>Several samplers, each filling its share of every row's negatives (shares sum to 1; counts by largest
    /// remainder, ties to the earlier part).</summary>
    public IReadOnlyList<SamplerShare>? Mixture { get; init; }

    /// <summary>The popularity exponent (popularity sampler only), in [0, 10].</summary>
    public double Alpha { get; init; } = 1;

    /// <summary>Share of each row's negatives replaced by the user's own train items, in [0, 1] (a fixed share per row;
    /// the BSL code's r_noise is <see cref="FalseNegativeWeight"/>).</summary>
    public double FalseNegativeRatio { get; init; }

    /// <summary>The BSL code's r_noise: each drawn negative is one of the user's own train items with the probability
    /// that weighting those items r and every other item 1 gives (0 excludes them, 1 is plain uniform); null: off.</summary>
    public double? FalseNegativeWeight { get; init; }

    /// <summary>Hard negatives: candidates scored per row; 0 means four per hard negative.</summary>
    public int HardCandidates { get; init; }

    public NegativeDrawTiming Timing { get; init; } = NegativeDrawTiming.PerBatch;

    public IReadOnlyList<SamplerShare> Parts => Mixture ?? [new SamplerShare(Kind, 1)];

    public static string KindName(SamplerKind kind) => kind switch
    {
        SamplerKind.InBatch => "in-batch",
        SamplerKind.InBatchAll => "in-batch-all",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Slots per part for <paramref name="negatives"/> negatives: floor(share N), the remainder to the
    /// largest fractional parts (ties to the earlier part).</summary>
    public static int[] Counts(IReadOnlyList<SamplerShare> parts, int negatives)
    {
        var counts = new int[parts.Count];
        var fractions = new double[parts.Count];
        int assigned = 0;
        for (int p = 0; p < parts.Count; p++)
        {
            double exact = parts[p].Share * negatives;
            counts[p] = (int)Math.Floor(exact);
            fractions[p] = exact - counts[p];
            assigned += counts[p];
        }
        for (; assigned < negatives; assigned++)
        {
            int best = 0;
            for (int p = 1; p < parts.Count; p++)
            {
                if (fractions[p] > fractions[best])
                {
                    best = p;
                }
            }
            counts[best]++;
            fractions[best] = -1;
        }
        return counts;
    }

    /// <summary>Hard negatives per row of <paramref name="negatives"/>, and the candidates scored for them (the given
    /// number, or four per hard negative). <see cref="Create"/> rejects fewer candidates than hard negatives.</summary>
    public (int Hard, int Candidates) HardLayout(int negatives)
    {
        IReadOnlyList<SamplerShare> parts = Parts;
        int[] counts = Counts(parts, negatives);
        int hard = 0;
        for (int p = 0; p < parts.Count; p++)
        {
            hard += parts[p].Kind == SamplerKind.Hard ? counts[p] : 0;
        }
        return (hard, hard == 0 ? 0 : HardCandidates == 0 ? 4 * hard : HardCandidates);
    }

    /// <summary>Checks the options; messages name the setting, the value found and what is expected.</summary>
    public void Validate()
    {
        IReadOnlyList<SamplerShare> parts = Parts;
        if (parts.Count == 0)
        {
            throw new ArgumentException("The sampler mixture is empty; expected at least one sampler with a share.");
        }
        double sum = 0;
        for (int p = 0; p < parts.Count; p++)
        {
            ArgumentRange.Check(parts[p].Share, 0, 1, $"The share of sampler {KindName(parts[p].Kind)}", minExclusive: true, parameter: "Share");
            for (int q = 0; q < p; q++)
            {
                if (parts[q].Kind == parts[p].Kind)
                {
                    throw new ArgumentException($"Sampler {KindName(parts[p].Kind)} appears twice in the mixture; give it one share.");
                }
            }
            sum += parts[p].Share;
        }
        if (Math.Abs(sum - 1) > 1e-9)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The sampler shares must sum to 1; they sum to {sum}."));
        }
        ArgumentRange.Check(Alpha, 0, 10, "The popularity exponent", parameter: nameof(Alpha));
        ArgumentRange.Check(FalseNegativeRatio, 0, 1, "The false-negative ratio", parameter: nameof(FalseNegativeRatio));
        if (FalseNegativeWeight is { } weight)
        {
            ArgumentRange.Check(weight, 0, 1000, "The false-negative weight", parameter: nameof(FalseNegativeWeight));
        }
        if (FalseNegativeWeight is not null && (FalseNegativeRatio > 0 || !parts.All(p => p.Kind == SamplerKind.Uniform)))
        {
            throw new ArgumentException("The false-negative weight reweights uniform draws; it cannot be combined with a false-negative ratio or with other samplers.");
        }
        if (HardCandidates < 0)
        {
            throw new ArgumentException($"The number of hard-negative candidates must be >= 0 (0: four per hard negative); got {HardCandidates}.");
        }
        bool hard = parts.Any(p => p.Kind == SamplerKind.Hard);
        if (hard && FalseNegativeRatio > 0)
        {
            throw new ArgumentException("False negatives are injected into drawn negatives; they cannot be combined with hard negatives, which are chosen among the user's non-interacted items.");
        }
        if (Timing == NegativeDrawTiming.PerEpoch && parts.Any(p => p.Kind is SamplerKind.Hard or SamplerKind.InBatch or SamplerKind.InBatchAll))
        {
            throw new ArgumentException("Negatives drawn once per epoch cannot depend on the batch or the current model; in-batch and hard negatives are drawn per batch.");
        }
        if (parts.Count > 1 && parts.Any(p => p.Kind == SamplerKind.InBatchAll))
        {
            throw new ArgumentException("The in-batch-all sampler fills every slot with the batch's other rows; it cannot share a mixture (use in-batch for sampled in-batch negatives).");
        }
    }

    /// <summary>Builds the samplers for a train matrix and N negatives per row.</summary>
    /// <param name="excludePositives">Reject the user's own train items (hard candidates always exclude them).</param>
    public NegativeSampling Create(InteractionMatrix train, bool excludePositives, int negatives)
    {
        Validate();
        IReadOnlyList<SamplerShare> parts = Parts;
        int[] counts = Counts(parts, negatives);
        (int hardCount, int candidates) = HardLayout(negatives);
        if (candidates < hardCount)
        {
            throw new ArgumentException($"Hard negatives keep the top {hardCount} of the candidates, so at least {hardCount} candidates are needed; got {candidates}.");
        }
        var drawn = new List<(INegativeSampler Sampler, int Count)>();
        for (int p = 0; p < parts.Count; p++)
        {
            if (parts[p].Kind != SamplerKind.Hard && counts[p] > 0)
            {
                // With a false-negative weight the uniform draws leave the user's items out and the weighting puts them back.
                try
                {
                    drawn.Add((Single(parts[p].Kind, train, excludePositives || FalseNegativeWeight is not null), counts[p]));
                }
                catch (NoNegativeException e) when (FalseNegativeWeight is not null && !excludePositives)
                {
                    throw new NoNegativeException(e.UserIndex, $"interacted with all {train.ItemCount} items, so the uniform part of a --false-negative-weight draw (items outside the user's own) has nothing to draw from");
                }
            }
        }
        int drawnCount = negatives - hardCount;
        INegativeSampler drawnSampler = drawn.Count switch
        {
            0 => new UniformSampler(train.ItemCount),   // fills no slot
            1 => drawn[0].Sampler,
            _ => new MixtureSampler(drawn),
        };
        if (FalseNegativeRatio > 0)
        {
            drawnSampler = new FalseNegativeSampler(drawnSampler, train, FalseNegativeRatio);
        }
        else if (FalseNegativeWeight is { } weight && weight > 0)
        {
            drawnSampler = FalseNegativeSampler.Weighted(drawnSampler, train, weight);
        }
        INegativeSampler? candidateSampler = hardCount == 0 ? null : new UniformSampler(train.ItemCount, train);
        return new NegativeSampling(drawnSampler, drawnCount, hardCount, candidates, candidateSampler, Timing)
        {
            NegativesFromBatch = FalseNegativeRatio == 0 && FalseNegativeWeight is null && parts.All(p => p.Kind is SamplerKind.InBatch or SamplerKind.InBatchAll),
        };
    }

    private INegativeSampler Single(SamplerKind kind, InteractionMatrix train, bool excludePositives) => kind switch
    {
        SamplerKind.Popularity => new PopularitySampler(train, Alpha, excludePositives),
        SamplerKind.InBatch => new InBatchSampler(train),
        SamplerKind.InBatchAll => new InBatchAllSampler(),
        _ => new UniformSampler(train.ItemCount, excludePositives ? train : null),
    };
}
