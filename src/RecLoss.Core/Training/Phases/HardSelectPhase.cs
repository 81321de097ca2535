using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Numerics;

namespace RecLoss.Core.Training.Phases;

/// <summary>
/// Dynamic hard negatives: each row's candidates scored by the current model (the row's user vector, no dropout;
/// cosine ranks by x . v_i / |v_i|, |x| being common to the row) and the top ones written to the row's hard slots.
/// </summary>
public sealed class HardSelectPhase
{
    private readonly int _firstHardSlot, _hard;
    private readonly float[] _scores, _scratch;
    private readonly Action<int, int> _selectRows;
    private StepBatch _batch = null!;
    private IEncoder _encoder = null!;
    private float[] _userVectors = [];

    public HardSelectPhase(NegativeSampling sampling, int capacity)
    {
        _firstHardSlot = 1 + sampling.DrawnCount;
        _hard = sampling.HardCount;
        _scores = new float[capacity * sampling.HardCandidates];
        _scratch = new float[capacity * sampling.HardCandidates];
        _selectRows = SelectRows;
    }

    public void Run(StepBatch batch, IEncoder encoder, float[] userVectors, ParallelRunner runner)
    {
        (_batch, _encoder, _userVectors) = (batch, encoder, userVectors);
        runner.For(batch.Size, 16, _selectRows);
    }

    private void SelectRows(int start, int end)
    {
        int dim = _batch.Dim, m = _batch.CandidateCount;
        ReadOnlySpan<float> items = _encoder.ItemVectors;
        bool cosine = _encoder.Score == ScoreKind.Cosine;
        for (int r = start; r < end; r++)
        {
            ReadOnlySpan<int> candidates = _batch.Candidates.AsSpan(r * m, m);
            Span<float> scores = _scores.AsSpan(r * m, m);
            GatherDot.Compute(_userVectors.AsSpan(r * dim, dim), items, candidates, scores);
            if (cosine)
            {
                for (int k = 0; k < m; k++)
                {
                    ReadOnlySpan<float> v = items.Slice(candidates[k] * dim, dim);
                    scores[k] /= MathF.Max(MathF.Sqrt(VectorKernels.SumOfSquares(v)), 1e-12f);
                }
            }
            HardNegativeSelection.SelectTop(candidates, scores, _scratch.AsSpan(r * m, m),
                _batch.Items.AsSpan(r * _batch.Slots + _firstHardSlot, _hard));
        }
    }
}
