using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;

namespace RecLoss.Core.Models;

/// <summary>One named parameter block of an encoder, as saved: <c>[rows, cols]</c> row-major.</summary>
public sealed record SavedBlock(string Name, int Rows, int Cols, float[] Values);

/// <summary>
/// A trained recommender, free of training state: what it is (<see cref="Header"/>), the original ids, the items each
/// user was trained on, the final user and item vectors that score (<see cref="Factors"/>) and the encoder's parameter
/// blocks (to fold in new users through SimpleX's aggregator, or to train on). The evaluator, the CLI and the server
/// all read this type; <see cref="ModelFile"/> saves and loads it without any data set.
/// </summary>
public sealed class TrainedModel
{
    public TrainedModel(ModelHeader header, IdIndex users, IdIndex items, InteractionMatrix seen, FactorModel factors, IReadOnlyList<SavedBlock> blocks)
    {
        if (users.Count != factors.UserCount || items.Count != factors.ItemCount)
        {
            throw new ArgumentException($"the id maps ({users.Count} users, {items.Count} items) do not match the vectors ({factors.UserCount} users, {factors.ItemCount} items)");
        }
        if (seen.UserCount != users.Count || seen.ItemCount != items.Count)
        {
            throw new ArgumentException($"the seen-items matrix is {seen.UserCount} x {seen.ItemCount}, expected {users.Count} x {items.Count}");
        }
        if (factors.Dim != header.Encoder.Dim && factors.Dim != 1)
        {
            throw new ArgumentException($"the vectors have dimension {factors.Dim}, the header says {header.Encoder.Dim}");
        }
        Header = header;
        Users = users;
        Items = items;
        Seen = seen;
        Factors = factors;
        Blocks = blocks;
    }

    public ModelHeader Header { get; }

    public IdIndex Users { get; }

    public IdIndex Items { get; }

    /// <summary>The train interactions, [users, items]: excluded from recommendations by default, and SimpleX's histories.</summary>
    public InteractionMatrix Seen { get; }

    /// <summary>The final vectors: <c>score(u, i) = users[u] . items[i]</c> (unit rows for cosine).</summary>
    public FactorModel Factors { get; }

    public IReadOnlyList<SavedBlock> Blocks { get; }

    public int Dim => Factors.Dim;

    /// <summary>A model from a finished run; the encoder must be caught up (<see cref="TrainingSession.Run"/> is).</summary>
    public static TrainedModel FromRun(Dataset data, ModelHeader header, IEncoder encoder)
    {
        FactorModel factors = encoder.Export(new ParallelRunner(1));
        SavedBlock[] blocks = [.. encoder.Parameters.Select(b => new SavedBlock(b.Name, b.Rows, b.Cols, b.Values.ToArray()))];
        return new TrainedModel(header, IdIndex.Of(data.Users), IdIndex.Of(data.Items), data.Train, factors, blocks);
    }

    /// <summary>The block of this name, or null.</summary>
    public SavedBlock? Block(string name) => Blocks.FirstOrDefault(b => b.Name == name);
}
