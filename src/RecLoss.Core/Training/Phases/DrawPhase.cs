using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Training.Phases;

/// <summary>Each row's negatives and dropout mask, from the streams (seed, epoch, row position, 1) and (…, 2), in parallel.</summary>
public sealed class DrawPhase
{
    private readonly INegativeSampler _sampler;
    private readonly IBatchNegativeSampler? _batchSampler;
    private readonly ulong _seed;
    private readonly double _dropout;
    private readonly float _keepScale;
    private readonly uint _dropThreshold;
    private readonly Action<int, int> _drawRows;
    private StepBatch _batch = null!;

    public DrawPhase(INegativeSampler sampler, ulong seed, double dropout)
    {
        _sampler = sampler;
        _batchSampler = sampler as IBatchNegativeSampler;
        _seed = seed;
        _dropout = dropout;
        _keepScale = (float)(1 / (1 - dropout));
        _dropThreshold = (uint)Math.Min(uint.MaxValue, Math.Round(dropout * 4294967296.0));
        _drawRows = DrawRows;
    }

    public void Run(StepBatch batch, Optim.ParallelRunner runner)
    {
        _batch = batch;
        _batchSampler?.BeginBatch(batch.ActiveTargets);
        runner.For(batch.Size, 16, _drawRows);
    }

    private void DrawRows(int start, int end)
    {
        StepBatch b = _batch;
        for (int r = start; r < end; r++)
        {
            int position = b.Start + r;
            Span<int> items = b.Items.AsSpan(r * b.Slots, b.Slots);
            items[0] = b.Targets[r];
            var rng = Xoshiro256.ForStream(_seed, (ulong)b.Epoch, (ulong)position, 1);
            _sampler.Sample(ref rng, b.Users[r], items[1..]);
            if (_dropout > 0)
            {
                var maskRng = Xoshiro256.ForStream(_seed, (ulong)b.Epoch, (ulong)position, 2);
                Span<float> scale = b.Dropout.AsSpan(r * b.Dim, b.Dim);
                for (int d = 0; d < b.Dim; d++)
                {
                    scale[d] = maskRng.NextUInt32() < _dropThreshold ? 0f : _keepScale;
                }
            }
        }
    }
}
