using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Numerics;

namespace RecLoss.Core.Models;

/// <summary>An immutable scoring model: <c>score(u, i) = users[u] . items[i]</c>.</summary>
/// <remarks>For a cosine-trained encoder both tables are stored L2-normalised, so the dot product is the cosine.</remarks>
public sealed class FactorModel
{
    public FactorModel(int userCount, int itemCount, int dim, float[] userFactors, float[] itemFactors)
    {
        if (userFactors.Length != (long)userCount * dim || itemFactors.Length != (long)itemCount * dim)
        {
            throw new ArgumentException("Factor arrays do not match the given shapes.");
        }
        UserCount = userCount;
        ItemCount = itemCount;
        Dim = dim;
        UserFactors = userFactors;
        ItemFactors = itemFactors;
    }

    public int UserCount { get; }

    public int ItemCount { get; }

    public int Dim { get; }

    /// <summary>[users, dim], row-major.</summary>
    public float[] UserFactors { get; }

    /// <summary>[items, dim], row-major.</summary>
    public float[] ItemFactors { get; }

    public ReadOnlySpan<float> User(int userIndex) => UserFactors.AsSpan(userIndex * Dim, Dim);

    public ReadOnlySpan<float> Item(int itemIndex) => ItemFactors.AsSpan(itemIndex * Dim, Dim);

    public float Score(int userIndex, int itemIndex) => VectorKernels.Dot(User(userIndex), Item(itemIndex));

    /// <summary>A snapshot of an MF encoder (normalised for a cosine evaluation score); the encoder's optimizer must be caught up.</summary>
    public static FactorModel From(MatrixFactorization encoder) =>
        OfVectors(encoder.Users.Weights.ToArray(), encoder.Items.Weights.ToArray(), encoder.Dim, encoder.Options.EvaluationScore ?? encoder.Score);

    /// <summary>A model over an encoder's final user and item vectors (arrays it owns from now on), their rows scaled to
    /// unit length for cosine so that the dot product is the score.</summary>
    public static FactorModel OfVectors(float[] users, float[] items, int dim, ScoreKind score)
    {
        if (score == ScoreKind.Cosine)
        {
            NormalizeRows(users, dim);
            NormalizeRows(items, dim);
        }
        return new FactorModel(users.Length / dim, items.Length / dim, dim, users, items);
    }

    /// <summary>The most-popular baseline: every user scores an item by its train interaction count.</summary>
    public static FactorModel MostPopular(InteractionMatrix train)
    {
        float[] users = new float[train.UserCount];
        Array.Fill(users, 1f);
        int[] counts = train.ItemCounts();
        float[] items = counts.Select(c => (float)c).ToArray();
        return new FactorModel(train.UserCount, train.ItemCount, 1, users, items);
    }

    /// <summary>Scales every row to unit length (rows below 1e-12 by 1e-12, as torch normalize).</summary>
    private static void NormalizeRows(float[] table, int dim)
    {
        for (int offset = 0; offset < table.Length; offset += dim)
        {
            Span<float> row = table.AsSpan(offset, dim);
            float norm = MathF.Max(MathF.Sqrt(VectorKernels.SumOfSquares<float>(row)), 1e-12f);
            VectorKernels.Multiply<float>(row, 1f / norm, row);
        }
    }
}
