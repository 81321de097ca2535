using System.Numerics;
using System.Runtime.InteropServices;
using RecLoss.Core.Losses;
using RecLoss.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>The fused forward and backward pass of one training row: one user, one positive, N negatives.</summary>
/// <remarks>
/// Cosine score: <c>u~ = dropout(e_u / |e_u|)</c>, <c>s_k = u~ . e_k / |e_k|</c>. Given <c>g_k = dL/ds_k</c> the
/// gradients are <c>dL/de_k = a_k u~ - b_k e_k</c> with <c>a_k = g_k / |e_k|</c>, <c>b_k = g_k s_k / |e_k|^2</c>, and
/// <c>dL/de_u = (h - (h . u^) u^) / |e_u|</c> with <c>h = mask .* sum_k g_k e_k / |e_k|</c>.
/// Dot score: <c>s_k = u~ . e_k</c>, <c>a_k = g_k</c>, <c>b_k = 0</c>, <c>dL/de_u = mask .* sum_k g_k e_k</c>.
/// Norms are clamped below at 1e-12 as torch.nn.functional.normalize does, so a zero row gives finite values.
/// Item gradients are returned as (a_k, b_k) so the trainer can sum them per item in a fixed order.
/// </remarks>
public static class RowKernel
{
    /// <summary>Computes the row's loss and gradients; writes nothing outside the given spans.</summary>
    /// <param name="items">Item table [rows, dim].</param>
    /// <param name="itemIndices">[1 + N]: the positive, then the negatives.</param>
    /// <param name="dropoutScale">[dim] per-coordinate factor (0 or 1/(1-p)) on the normalised user vector, or empty for none.</param>
    /// <param name="userTilde">[dim] output: the (dropped-out) normalised user vector u~.</param>
    /// <param name="userGradient">[dim] output: dL/de_u.</param>
    /// <param name="scores">[1 + N] output: s_k.</param>
    /// <param name="coefA">[1 + N] output: a_k.</param>
    /// <param name="coefB">[1 + N] output: b_k.</param>
    /// <param name="rowWeight">Factor on every gradient (1/B for the batch mean); the returned loss is not scaled.</param>
    /// <param name="itemInverseNorms">[items] 1/max(|e_i|, 1e-12) when the caller has it (cosine), or empty to compute it here.</param>
    public static T ForwardBackward<T, TLoss>(in TLoss loss, ScoreKind score, ReadOnlySpan<T> user, ReadOnlySpan<T> items, int dim,
        ReadOnlySpan<int> itemIndices, ReadOnlySpan<T> dropoutScale, T rowWeight, ReadOnlySpan<T> itemInverseNorms,
        Span<T> userTilde, Span<T> userGradient, Span<T> scores, Span<T> coefA, Span<T> coefB)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLoss : struct, IRowLoss
    {
        int count = itemIndices.Length;
        T epsilon = T.CreateTruncating(1e-12);
        T userNorm = T.One;
        if (score == ScoreKind.Cosine)
        {
            userNorm = T.Max(T.Sqrt(VectorKernels.SumOfSquares(user)), epsilon);
            VectorKernels.Multiply(user, T.One / userNorm, userTilde);
        }
        else
        {
            user.CopyTo(userTilde);
        }
        bool dropout = !dropoutScale.IsEmpty;
        if (dropout)
        {
            for (int d = 0; d < dim; d++)
            {
                userTilde[d] *= dropoutScale[d];
            }
        }

        // coefB temporarily holds 1/|e_k| (cosine) so the norms are computed once.
        bool cachedNorms = !itemInverseNorms.IsEmpty;
        if (typeof(T) == typeof(float))
        {
            // Float path: all dot products in one gathered pass (see GatherDot), then the norms.
            GatherDot.Compute(MemoryMarshal.Cast<T, float>(userTilde), MemoryMarshal.Cast<T, float>(items), itemIndices, MemoryMarshal.Cast<T, float>(scores));
            for (int k = 0; k < count; k++)
            {
                if (score == ScoreKind.Cosine)
                {
                    T inverseNorm = cachedNorms ? itemInverseNorms[itemIndices[k]]
                        : T.One / T.Max(T.Sqrt(VectorKernels.SumOfSquares(items.Slice(itemIndices[k] * dim, dim))), epsilon);
                    scores[k] *= inverseNorm;
                    coefB[k] = inverseNorm;
                }
            }
        }
        else
        {
            for (int k = 0; k < count; k++)
            {
                ReadOnlySpan<T> e = items.Slice(itemIndices[k] * dim, dim);
                if (score == ScoreKind.Cosine)
                {
                    T dot = VectorKernels.DotAndSumOfSquares(userTilde, e, out T ss);
                    T inverseNorm = cachedNorms ? itemInverseNorms[itemIndices[k]] : T.One / T.Max(T.Sqrt(ss), epsilon);
                    scores[k] = dot * inverseNorm;
                    coefB[k] = inverseNorm;
                }
                else
                {
                    scores[k] = VectorKernels.Dot(userTilde, e);
                }
            }
        }

        T value = loss.Evaluate(scores[0], scores.Slice(1, count - 1), out T dPositive, coefA.Slice(1, count - 1));
        coefA[0] = dPositive;

        // h = sum_k g_k e_k / |e_k| accumulates into userGradient.
        userGradient.Clear();
        for (int k = 0; k < count; k++)
        {
            T g = coefA[k] * rowWeight;
            if (g == T.Zero)
            {
                coefA[k] = T.Zero;
                coefB[k] = T.Zero;
                continue;
            }
            ReadOnlySpan<T> e = items.Slice(itemIndices[k] * dim, dim);
            if (score == ScoreKind.Cosine)
            {
                T inverseNorm = coefB[k];
                VectorKernels.MultiplyAdd(e, g * inverseNorm, userGradient);
                coefA[k] = g * inverseNorm;
                coefB[k] = g * scores[k] * inverseNorm * inverseNorm;
            }
            else
            {
                VectorKernels.MultiplyAdd(e, g, userGradient);
                coefA[k] = g;
                coefB[k] = T.Zero;
            }
        }

        if (dropout)
        {
            for (int d = 0; d < dim; d++)
            {
                userGradient[d] *= dropoutScale[d];
            }
        }
        if (score == ScoreKind.Cosine)
        {
            // Project out the radial part: d(x/|x|)/dx = (I - x^ x^T) / |x|. userTilde without dropout is x^.
            T inverseNorm = T.One / userNorm;
            T radial = T.Zero;
            for (int d = 0; d < dim; d++)
            {
                radial += userGradient[d] * user[d] * inverseNorm;
            }
            for (int d = 0; d < dim; d++)
            {
                userGradient[d] = (userGradient[d] - radial * user[d] * inverseNorm) * inverseNorm;
            }
        }
        return value;
    }
}
