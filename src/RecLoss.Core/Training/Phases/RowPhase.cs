using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;

namespace RecLoss.Core.Training.Phases;

/// <summary>
/// The row kernel over a batch, in parallel: scores, the loss, dL/d(user vector) and each slot's item coefficients
/// (dL/dv_i = a u~ - b v_i), with rows weighted 1/B (mean) or 1 (sum).
/// </summary>
public sealed class RowPhase<TLoss>
    where TLoss : struct, IRowLoss
{
    private readonly TLoss _loss;
    private readonly ScoreKind _score;
    private readonly bool _sumOverBatch;
    private readonly Action<int, int> _forwardRows;
    private StepBatch _batch = null!;
    private IEncoder _encoder = null!;
    private float _rowWeight;

    public RowPhase(TLoss loss, ScoreKind score, int capacity, int slots, int dim)
    {
        _loss = loss;
        _score = score;
        _sumOverBatch = loss.Reduction == BatchReduction.Sum;
        UserVectors = new float[capacity * dim];
        UserTilde = new float[capacity * dim];
        UserGradients = new float[capacity * dim];
        Scores = new float[capacity * slots];
        CoefA = new float[capacity * slots];
        CoefB = new float[capacity * slots];
        RowLoss = new float[capacity];
        _forwardRows = ForwardRows;
    }

    /// <summary>[B, dim]: the encoder's user vectors (input), the dropped-out normalised vectors u~ and dL/dx (outputs).</summary>
    public float[] UserVectors { get; }

    public float[] UserTilde { get; }

    public float[] UserGradients { get; }

    /// <summary>[B, slots].</summary>
    public float[] Scores { get; }

    public float[] CoefA { get; }

    public float[] CoefB { get; }

    public float[] RowLoss { get; }

    /// <summary>Runs every row; returns the batch's summed row loss.</summary>
    public double Run(StepBatch batch, IEncoder encoder, bool dropout, ParallelRunner runner)
    {
        _batch = batch;
        _encoder = encoder;
        _rowWeight = _sumOverBatch ? 1f : 1f / batch.Size;
        _useDropout = dropout;
        runner.For(batch.Size, 16, _forwardRows);
        double loss = 0;
        for (int r = 0; r < batch.Size; r++)
        {
            loss += RowLoss[r];
        }
        return loss;
    }

    private bool _useDropout;

    private void ForwardRows(int start, int end)
    {
        ReadOnlySpan<float> items = _encoder.ItemVectors;
        int dim = _batch.Dim, slots = _batch.Slots;
        for (int r = start; r < end; r++)
        {
            int d = r * dim, s = r * slots;
            RowLoss[r] = RowKernel.ForwardBackward(_loss, _score, UserVectors.AsSpan(d, dim), items, dim,
                _batch.Items.AsSpan(s, slots), _useDropout ? _batch.Dropout.AsSpan(d, dim) : default, _rowWeight, default,
                UserTilde.AsSpan(d, dim), UserGradients.AsSpan(d, dim), Scores.AsSpan(s, slots), CoefA.AsSpan(s, slots), CoefB.AsSpan(s, slots));
        }
    }
}
