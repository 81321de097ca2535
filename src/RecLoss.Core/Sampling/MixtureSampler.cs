using RecLoss.Numerics;

namespace RecLoss.Core.Sampling;

/// <summary>Several samplers filling fixed consecutive parts of a row's negatives, in order.</summary>
public sealed class MixtureSampler : IBatchNegativeSampler
{
    private readonly (INegativeSampler Sampler, int Count)[] _parts;
    private readonly int _total;

    public MixtureSampler(IEnumerable<(INegativeSampler Sampler, int Count)> parts)
    {
        _parts = parts.ToArray();
        if (_parts.Any(p => p.Count < 0))
        {
            throw new ArgumentException("A mixture part cannot fill a negative number of slots.", nameof(parts));
        }
        _total = _parts.Sum(p => p.Count);
    }

    public string Name => string.Join(" + ", _parts.Select(p => $"{p.Sampler.Name} x{p.Count}"));

    public void BeginBatch(ReadOnlySpan<int> positives)
    {
        foreach ((INegativeSampler sampler, _) in _parts)
        {
            (sampler as IBatchNegativeSampler)?.BeginBatch(positives);
        }
    }

    public void Sample(ref Xoshiro256 rng, int userIndex, Span<int> destination)
    {
        if (destination.Length != _total)
        {
            throw new ArgumentException($"This mixture fills {_total} negatives per row; the row has {destination.Length}.", nameof(destination));
        }
        int start = 0;
        foreach ((INegativeSampler sampler, int count) in _parts)
        {
            sampler.Sample(ref rng, userIndex, destination.Slice(start, count));
            start += count;
        }
    }
}
