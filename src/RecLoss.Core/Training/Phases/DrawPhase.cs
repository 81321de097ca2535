using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Training.Phases;

/// <summary>Each row's drawn negatives, hard-negative candidates and dropout mask, from the streams (seed, epoch, row
/// position, 1), (…, 3) and (…, 2), in parallel. Drawing per batch or per epoch gives the same negatives (one stream
/// per row), so a per-epoch timing is served here by the same per-row draws. A batch whose slots are its positives
/// (<see cref="StepBatch.SlotsFromTargets"/>) gets its dropout masks only.</summary>
public sealed class DrawPhase
{
    private readonly INegativeSampler _sampler;
    private readonly INegativeSampler? _candidateSampler;
    private readonly int _drawn;
    private readonly IBatchNegativeSampler? _batchSampler;
    private readonly ulong _seed;
    private readonly double _dropout;
    private readonly float _keepScale;
    private readonly uint _dropThreshold;
    private readonly Action<int, int> _drawRows;
    private StepBatch _batch = null!;

    public DrawPhase(NegativeSampling sampling, ulong seed, double dropout)
    {
        INegativeSampler sampler = sampling.Drawn;
        _sampler = sampler;
        _drawn = sampling.DrawnCount;
        _candidateSampler = sampling.HardCount > 0 ? sampling.CandidateSampler : null;
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
        if (!batch.SlotsFromTargets)
        {
            _batchSampler?.BeginBatch(batch.ActiveTargets);
        }
        else if (batch.Size == 1 && batch.Slots > 1)
        {
            throw InBatchAllSampler.OnlyRow(batch.Users[0]);   // as the sampler would, had it drawn the slots
        }
        else if (_dropout == 0)
        {
            return;   // nothing to draw: the slots are the batch's positives, read where they are
        }
        runner.For(batch.Size, 16, _drawRows);
    }

    private void DrawRows(int start, int end)
    {
        StepBatch b = _batch;
        for (int r = start; r < end; r++)
        {
            int position = b.Start + r;
            if (b.SlotsFromTargets)
            {
                DrawDropout(b, r, position);
                continue;
            }
            Span<int> items = b.Items.AsSpan(r * b.Slots, b.Slots);
            items[0] = b.Targets[r];
            var rng = Xoshiro256.ForStream(_seed, (ulong)b.Epoch, (ulong)position, 1);
            if (_batchSampler is not null)
            {
                _batchSampler.SampleRow(ref rng, r, b.Users[r], items.Slice(1, _drawn));
            }
            else
            {
                _sampler.Sample(ref rng, b.Users[r], items.Slice(1, _drawn));
            }
            if (_candidateSampler is not null)
            {
                var candidateRng = Xoshiro256.ForStream(_seed, (ulong)b.Epoch, (ulong)position, 3);
                _candidateSampler.Sample(ref candidateRng, b.Users[r], b.Candidates.AsSpan(r * b.CandidateCount, b.CandidateCount));
            }
            DrawDropout(b, r, position);
        }
    }

    private void DrawDropout(StepBatch b, int r, int position)
    {
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
