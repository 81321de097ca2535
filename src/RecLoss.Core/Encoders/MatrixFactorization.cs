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

    public static class Defaults
    {
        public const int Dim = 64;
        public const double InitStd = 1e-4;
    }
}

/// <summary>Matrix factorization: a user table and an item table; the score is their cosine or dot product.</summary>
/// <remarks>The MF backbone of the MML, SimpleX and BSL papers (Koren et al., 2009).</remarks>
public sealed class MatrixFactorization
{
    public MatrixFactorization(int userCount, int itemCount, MatrixFactorizationOptions options, ulong seed)
    {
        if (options.Dim < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Dim, "Dim must be at least 1.");
        }
        if (!(options.InitStd >= 0) || double.IsInfinity(options.InitStd))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.InitStd, "InitStd must be finite and >= 0.");
        }
        Options = options;
        Users = new EmbeddingTable(userCount, options.Dim);
        Items = new EmbeddingTable(itemCount, options.Dim);
        Users.InitializeNormal(options.InitStd, seed, 0xE5E1);
        Items.InitializeNormal(options.InitStd, seed, 0x17E3);
    }

    public MatrixFactorizationOptions Options { get; }

    public int Dim => Options.Dim;

    public ScoreKind Score => Options.Score;

    public EmbeddingTable Users { get; }

    public EmbeddingTable Items { get; }
}
