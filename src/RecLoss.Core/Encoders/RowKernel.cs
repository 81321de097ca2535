using System.Numerics;
using System.Runtime.InteropServices;
using RecLoss.Core.Losses;
using RecLoss.Numerics;

namespace RecLoss.Core.Encoders;

/// <summary>The forward and backward pass of one training row: one user, one positive, N negatives.</summary>
/// <remarks>
/// Cosine score: <c>u~ = dropout(e_u / |e_u|)</c>, <c>s_k = u~ . e_k / |e_k|</c>. Given <c>g_k = dL/ds_k</c> the
/// gradients are <c>dL/de_k = a_k u~ - b_k e_k</c> with <c>a_k = g_k / |e_k|</c>, <c>b_k = g_k s_k / |e_k|^2</c>, and
/// <c>dL/de_u = (h - (h . u^) u^) / |e_u|</c> with <c>h = mask .* sum_k g_k e_k / |e_k|</c>.
/// Dot score: <c>s_k = u~ . e_k</c>, <c>a_k = g_k</c>, <c>b_k = 0</c>, <c>dL/de_u = mask .* sum_k g_k e_k</c>.
/// With <c>dropoutFirst</c> (the BSL code's order) the cosine drops out before normalising: <c>x = mask .* e_u</c>,
/// <c>u~ = x / |x|</c>, <c>dL/de_u = mask .* (h - (h . u~) u~) / |x|</c> with <c>h = sum_k g_k e_k / |e_k|</c>.
/// Norms are clamped below at 1e-12 as torch.nn.functional.normalize does, so a zero row gives finite values.
/// Item gradients are returned as (a_k, b_k) so the trainer can sum them per item in a fixed order.
/// The pass is split in three so the trainer can score item-major: <see cref="PrepareUser"/>, the scores
/// (<see cref="Score"/> here, or the trainer's own item-major loop), then <see cref="LossAndGradients"/>.
/// </remarks>
public static class RowKernel
{
    /// <summary>Computes the row's loss and gradients; writes nothing outside the given spans.</summary>
    /// <param name="items">Item table [rows, dim].</param>
    /// <param name="itemIndices">[1 + N]: the positive, then the negatives.</param>
    /// <param name="dropoutScale">[dim] per-coordinate factor (0 or 1/(1-p)) on the normalised user vector (on the raw one with
    /// <paramref name="dropoutFirst"/>), or empty for none.</param>
    /// <param name="rowWeight">Factor on every gradient (1/B for the batch mean); the returned loss is not scaled.</param>
    /// <param name="itemInverseNorms">[items] 1/max(|e_i|, 1e-12) when the caller has it (cosine), or empty to compute it here.</param>
    /// <param name="userTilde">[dim] output: the (dropped-out) normalised user vector u~.</param>
    /// <param name="userGradient">[dim] output: dL/de_u.</param>
    /// <param name="scores">[1 + N] output: s_k.</param>
    /// <param name="coefA">[1 + N] output: a_k.</param>
    /// <param name="coefB">[1 + N] output: b_k.</param>
    /// <param name="dropoutFirst">Cosine: drop out e_u before normalising it (the BSL code) rather than after (the MML code).</param>
    public static T ForwardBackward<T, TLoss>(in TLoss loss, ScoreKind score, ReadOnlySpan<T> user, ReadOnlySpan<T> items, int dim,
        ReadOnlySpan<int> itemIndices, ReadOnlySpan<T> dropoutScale, T rowWeight, ReadOnlySpan<T> itemInverseNorms,
        Span<T> userTilde, Span<T> userGradient, Span<T> scores, Span<T> coefA, Span<T> coefB, bool dropoutFirst = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLoss : struct, IRowLoss
    {
        T userNorm = PrepareUser(score, user, dropoutScale, userTilde, dropoutFirst);
        Score(score, userTilde, items, dim, itemIndices, itemInverseNorms, scores, coefB);
        return LossAndGradients(loss, score, user, userNorm, items, dim, itemIndices, dropoutScale, rowWeight, userGradient, scores, coefA, coefB,
            dropoutFirst: dropoutFirst);
    }

    /// <summary>Writes u~ and returns the norm it divided by, max(|e_u|, 1e-12) or with <paramref name="dropoutFirst"/>
    /// max(|mask .* e_u|, 1e-12) (cosine), or 1 (dot).</summary>
    public static T PrepareUser<T>(ScoreKind score, ReadOnlySpan<T> user, ReadOnlySpan<T> dropoutScale, Span<T> userTilde, bool dropoutFirst = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T userNorm = T.One;
        if (score == ScoreKind.Cosine && dropoutFirst && !dropoutScale.IsEmpty)
        {
            for (int d = 0; d < userTilde.Length; d++)
            {
                userTilde[d] = user[d] * dropoutScale[d];
            }
            userNorm = T.Max(T.Sqrt(VectorKernels.SumOfSquares<T>(userTilde)), T.CreateTruncating(1e-12));
            VectorKernels.Multiply<T>(userTilde, T.One / userNorm, userTilde);
            return userNorm;
        }
        if (score == ScoreKind.Cosine)
        {
            userNorm = T.Max(T.Sqrt(VectorKernels.SumOfSquares(user)), T.CreateTruncating(1e-12));
            VectorKernels.Multiply(user, T.One / userNorm, userTilde);
        }
        else
        {
            user.CopyTo(userTilde);
        }
        if (!dropoutScale.IsEmpty)
        {
            for (int d = 0; d < userTilde.Length; d++)
            {
                userTilde[d] *= dropoutScale[d];
            }
        }
        return userNorm;
    }

    /// <summary>Writes s_k and, for cosine, 1/|e_k| into <paramref name="inverseNorms"/> (row-major gathered pass).</summary>
    public static void Score<T>(ScoreKind score, ReadOnlySpan<T> userTilde, ReadOnlySpan<T> items, int dim, ReadOnlySpan<int> itemIndices,
        ReadOnlySpan<T> itemInverseNorms, Span<T> scores, Span<T> inverseNorms)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T epsilon = T.CreateTruncating(1e-12);
        int count = itemIndices.Length;
        if (typeof(T) == typeof(float))
        {
            GatherDot.Compute(MemoryMarshal.Cast<T, float>(userTilde), MemoryMarshal.Cast<T, float>(items), itemIndices, MemoryMarshal.Cast<T, float>(scores));
        }
        else
        {
            for (int k = 0; k < count; k++)
            {
                scores[k] = VectorKernels.Dot(userTilde, items.Slice(itemIndices[k] * dim, dim));
            }
        }
        if (score != ScoreKind.Cosine)
        {
            return;
        }
        for (int k = 0; k < count; k++)
        {
            T inverseNorm = !itemInverseNorms.IsEmpty ? itemInverseNorms[itemIndices[k]]
                : T.One / T.Max(T.Sqrt(VectorKernels.SumOfSquares(items.Slice(itemIndices[k] * dim, dim))), epsilon);
            scores[k] *= inverseNorm;
            inverseNorms[k] = inverseNorm;
        }
    }

    /// <summary>From the scores: the loss, dL/de_u, and the item coefficients (a_k, b_k).</summary>
    /// <param name="coefB">On entry, 1/|e_k| (cosine; ignored for dot); on exit, b_k.</param>
    /// <param name="positiveGradient">When given, dL/ds+ in place of the loss's own (pooled positives).</param>
    /// <param name="dropoutFirst">As <see cref="PrepareUser"/> was given it.</param>
    public static T LossAndGradients<T, TLoss>(in TLoss loss, ScoreKind score, ReadOnlySpan<T> user, T userNorm, ReadOnlySpan<T> items, int dim,
        ReadOnlySpan<int> itemIndices, ReadOnlySpan<T> dropoutScale, T rowWeight, Span<T> userGradient, ReadOnlySpan<T> scores, Span<T> coefA, Span<T> coefB,
        T? positiveGradient = null, bool dropoutFirst = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLoss : struct, IRowLoss
    {
        int count = itemIndices.Length;
        T value = loss.Evaluate(scores[0], scores.Slice(1, count - 1), out T dPositive, coefA.Slice(1, count - 1));
        coefA[0] = positiveGradient ?? dPositive;

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

        FinishUserGradient(score, user[..dim], userNorm, dropoutScale, userGradient, dropoutFirst);
        return value;
    }

    /// <summary>Turns h = dL/du~ into dL/de_u in place: the dropout mask, then (cosine) the normalisation's Jacobian;
    /// with <paramref name="dropoutFirst"/> (cosine) the Jacobian at x = mask .* e_u, then the mask.</summary>
    public static void FinishUserGradient<T>(ScoreKind score, ReadOnlySpan<T> user, T userNorm, ReadOnlySpan<T> dropoutScale, Span<T> userGradient,
        bool dropoutFirst = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int dim = user.Length;
        if (score == ScoreKind.Cosine && dropoutFirst && !dropoutScale.IsEmpty)
        {
            T inverse = T.One / userNorm;
            T along = T.Zero;
            for (int d = 0; d < dim; d++)
            {
                along += userGradient[d] * user[d] * dropoutScale[d] * inverse;
            }
            for (int d = 0; d < dim; d++)
            {
                userGradient[d] = (userGradient[d] - along * user[d] * dropoutScale[d] * inverse) * inverse * dropoutScale[d];
            }
            return;
        }
        if (!dropoutScale.IsEmpty)
        {
            for (int d = 0; d < dim; d++)
            {
                userGradient[d] *= dropoutScale[d];
            }
        }
        if (score == ScoreKind.Cosine)
        {
            // Project out the radial part: d(x/|x|)/dx = (I - x^ x^T) / |x|, with x^ = e_u / |e_u|.
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
    }
}
