using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Numerics;
using RecLoss.Core.Losses;

namespace RecLoss.Core.Encoders;

/// <summary>Options of the matrix factorization encoder.</summary>
public sealed class MatrixFactorizationOptions
{
    /// <summary>Embedding dimension (int, >= 1).</summary>
    public int Dim { get; init; } = Defaults.Dim;

    /// <summary>Standard deviation of the N(0, std^2) initialisation (SimpleX reference: 1e-4).</summary>
    public double InitStd { get; init; } = Defaults.InitStd;

    public ScoreKind Score { get; init; } = ScoreKind.Cosine;

    /// <summary>How the embedding tables start (<see cref="InitStd"/> applies to the normal one).</summary>
    public InitKind Init { get; init; } = InitKind.Normal;

    /// <summary>The score of the exported model (evaluation and serving); null: the training score. The BSL code trains
    /// LightGCN on cosines and ranks Yelp2018's test items by the dot product of the same vectors.</summary>
    public ScoreKind? EvaluationScore { get; init; }

    public static class Defaults
    {
        public const int Dim = 64;
        public const double InitStd = 1e-4;
    }
}

/// <summary>Matrix factorization: a user table and an item table; the score is their cosine or dot product.</summary>
/// <remarks>The MF backbone of the MML, SimpleX and BSL papers (Koren et al., 2009).</remarks>
public sealed class MatrixFactorization : IEncoder
{
    public MatrixFactorization(int userCount, int itemCount, MatrixFactorizationOptions options, ulong seed)
    {
        if (options.Dim < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Dim, "Dim must be at least 1.");
        }
        ArgumentRange.Check(options.InitStd, 0, double.PositiveInfinity, "InitStd", parameter: nameof(options));
        Options = options;
        Users = new EmbeddingTable(userCount, options.Dim);
        Items = new EmbeddingTable(itemCount, options.Dim);
        Users.Initialize(options.Init, options.InitStd, seed, 0xE5E1);
        Items.Initialize(options.Init, options.InitStd, seed, 0x17E3);
        Parameters = [new ParameterBlock("users", userCount, options.Dim, Users.Weights, true), new ParameterBlock("items", itemCount, options.Dim, Items.Weights, true)];
    }

    public string Name => "mf";

    public int UserCount => Users.Rows;

    public int ItemCount => Items.Rows;

    public IReadOnlyList<ParameterBlock> Parameters { get; }

    public ReadOnlySpan<float> ItemVectors => Items.Weights;

    public void BeginStep(ReadOnlySpan<int> users, ReadOnlySpan<int> items, ReadOnlySpan<int> candidates, ParallelRunner runner)
    {
    }

    /// <summary>e_u for every row.</summary>
    public void UserVectors(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, Span<float> output, ParallelRunner runner)
    {
        for (int r = 0; r < users.Length; r++)
        {
            Users.Row(users[r]).CopyTo(output.Slice(r * Dim, Dim));
        }
    }

    /// <summary>The identity map: row gradients add to the user rows, item gradients to the item table.</summary>
    public bool ReadsFewRows => true;

    public void CollectRows(ReadOnlySpan<int> users, ReadOnlySpan<int> items, RowSet[] rows)
    {
        rows[0].AddRange(users);
        rows[1].AddRange(items);
    }

    public void Backward(ReadOnlySpan<int> users, ReadOnlySpan<int> targets, ReadOnlySpan<float> userGradients, float[] itemGradients, ReadOnlySpan<int> itemRows,
        ParallelRunner runner)
    {
        FloatBuffer userBlock = Parameters[0].Gradient;
        for (int r = 0; r < users.Length; r++)
        {
            Span<float> row = userBlock.AsSpan(users[r] * Dim, Dim);
            VectorKernels.MultiplyAdd(userGradients.Slice(r * Dim, Dim), 1f, row);
        }
        AddItemRows(itemGradients, itemRows, Parameters[1].Gradient, Dim);
    }

    /// <summary>gradient[i] += itemGradients[i] for the listed items.</summary>
    internal static void AddItemRows(float[] itemGradients, ReadOnlySpan<int> itemRows, FloatBuffer gradient, int dim)
    {
        foreach (int i in itemRows)
        {
            VectorKernels.MultiplyAdd(itemGradients.AsSpan(i * dim, dim), 1f, gradient.AsSpan(i * dim, dim));
        }
    }

    public FactorModel Export(ParallelRunner runner) => FactorModel.From(this);

    public void AddRowL2(ReadOnlySpan<int> users, ReadOnlySpan<int> items, float coefficient)
    {
        Parameters[0].AddScaledRows(users, coefficient);
        Parameters[1].AddScaledRows(items, coefficient);
    }


    public MatrixFactorizationOptions Options { get; }

    public int Dim => Options.Dim;

    public ScoreKind Score => Options.Score;

    public EmbeddingTable Users { get; }

    public EmbeddingTable Items { get; }
}
