using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Training;
using RecLoss.Numerics;

namespace RecLoss.Core.Serving;

/// <summary>
/// Scores a user the model has no row for from the items she interacted with. SimpleX with g &lt; 1 reads her
/// history through its aggregator (<see cref="SimpleX.NewUserVector"/>). Every other model fits one user row against
/// the frozen item vectors with the model's own loss: the row starts at the mean of her items' vectors, scaled to
/// the trained users' mean norm, then takes <see cref="Steps"/> Adam steps on the mean row loss over her items, each
/// item a positive with the model's number of negatives (at most <see cref="MaxNegatives"/>) drawn uniformly outside
/// her history from a stream seeded by the history, so one history always gives the same vector. The learning rate is
/// a tenth of the trained users' RMS coordinate, so it follows the scale of the model's vectors.
/// </summary>
public sealed class FoldIn
{
    public const int Steps = 100;
    public const int MaxNegatives = 128;

    /// <summary>Items of a history that take part in a fit (the most recent by index order beyond that are dropped).</summary>
    public const int MaxHistory = 512;

    private readonly TrainedModel _model;
    private readonly IRowLoss _loss;
    private readonly SimpleX? _simplex;
    private readonly float _learningRate, _userNorm;

    public FoldIn(TrainedModel model)
    {
        _model = model;
        _loss = LossParameters.Parse(model.Header.Loss);
        if (model.Header.Encoder is { Kind: EncoderKind.SimpleX, SimpleX: { } options } && options.Gamma < 1)
        {
            _simplex = RebuildSimpleX(model, options);
        }
        (_userNorm, float rms) = UserScale(model.Factors);
        _learningRate = 0.1f * rms;
    }

    /// <summary>How a new user is scored: "aggregator" (SimpleX) or "fit" (one row fitted with the model's loss).</summary>
    public string Method => _simplex is not null ? "aggregator" : "fit";

    /// <summary>The user's scoring vector (unit length for cosine models, as the model's own user vectors).</summary>
    /// <param name="history">Item indices of the model, in any order; duplicates count once.</param>
    public float[] UserVector(ReadOnlySpan<int> history)
    {
        int[] items = [.. history.ToArray().Distinct().Order()];
        if (items.Length == 0)
        {
            throw new ArgumentException("the history is empty: a new user needs at least one known item", nameof(history));
        }
        if (_simplex is not null)
        {
            return _simplex.NewUserVector(items);
        }
        if (items.Length > MaxHistory)
        {
            items = items[^MaxHistory..];
        }
        return _loss.Accept(new Fitter(this, items));
    }

    private static SimpleX RebuildSimpleX(TrainedModel model, SimpleXOptions options)
    {
        var encoder = new SimpleX(model.Seen, new SimpleXOptions
        {
            Dim = model.Header.Encoder.Dim,
            Score = model.Header.Encoder.Score,
            Gamma = options.Gamma,
            HistoryLength = options.HistoryLength,
            SharedHistoryTable = options.SharedHistoryTable,
            Aggregator = options.Aggregator,
            Padding = options.Padding,
        }, 0);
        foreach (ParameterBlock block in encoder.Parameters)
        {
            SavedBlock saved = model.Block(block.Name) ?? throw new FormatException($"SimpleX needs its '{block.Name}' block, which the model file lacks");
            if (saved.Values.Length != block.Values.Length)
            {
                throw new FormatException($"block '{block.Name}' holds {saved.Values.Length} values, SimpleX expects {block.Values.Length}");
            }
            saved.Values.CopyTo(block.Values.AsSpan());
        }
        return encoder;
    }

    /// <summary>The trained user vectors' mean norm and RMS coordinate.</summary>
    private static (float Norm, float Rms) UserScale(FactorModel factors)
    {
        double norms = 0, squares = 0;
        for (int u = 0; u < factors.UserCount; u++)
        {
            double s = VectorKernels.SumOfSquares(factors.User(u));
            squares += s;
            norms += Math.Sqrt(s);
        }
        int n = Math.Max(factors.UserCount, 1);
        return ((float)(norms / n), (float)Math.Sqrt(squares / ((double)n * factors.Dim)));
    }

    /// <summary>The fit, specialised on the loss's struct type.</summary>
    private sealed class Fitter(FoldIn owner, int[] history) : IRowLossVisitor<float[]>
    {
        public float[] Visit<TLoss>(TLoss loss)
            where TLoss : struct, IRowLoss
        {
            FactorModel factors = owner._model.Factors;
            int dim = factors.Dim, itemCount = factors.ItemCount;
            ScoreKind score = owner._model.Header.Encoder.Score;
            int negatives = Math.Clamp(owner._model.Header.Negatives, 1, MaxNegatives);
            if (history.Length >= itemCount)
            {
                throw new ArgumentException($"the history holds all {itemCount} items: no negative is left to fit against");
            }
            float[] items = factors.ItemFactors;
            var user = new float[dim];
            foreach (int i in history)
            {
                VectorKernels.MultiplyAdd(factors.Item(i), 1f, user);
            }
            float norm = MathF.Sqrt(VectorKernels.SumOfSquares<float>(user));
            VectorKernels.Multiply<float>(user, owner._userNorm / MathF.Max(norm, 1e-12f), user);

            var rng = new Xoshiro256(HistorySeed(history));
            // Negatives come from the items outside the history: by rejection while those are most items, else from
            // the list of them, so a history holding nearly every item costs no more than a short one.
            int[]? outside = history.Length * 2 > itemCount ? [.. Enumerable.Range(0, itemCount).Where(i => Array.BinarySearch(history, i) < 0)] : null;
            var slots = new int[1 + negatives];
            var tilde = new float[dim];
            var rowGradient = new float[dim];
            var gradient = new float[dim];
            var scores = new float[1 + negatives];
            var coefA = new float[1 + negatives];
            var coefB = new float[1 + negatives];
            var m = new float[dim];
            var v = new float[dim];
            float rowWeight = 1f / history.Length;
            const float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
            for (int step = 1; step <= Steps; step++)
            {
                Array.Clear(gradient);
                foreach (int positive in history)
                {
                    slots[0] = positive;
                    for (int n = 1; n <= negatives; n++)
                    {
                        int j;
                        if (outside is not null)
                        {
                            j = outside[rng.NextInt(outside.Length)];
                        }
                        else
                        {
                            do
                            {
                                j = rng.NextInt(itemCount);
                            }
                            while (Array.BinarySearch(history, j) >= 0);
                        }
                        slots[n] = j;
                    }
                    RowKernel.ForwardBackward(loss, score, user, items, dim, slots, [], rowWeight, [], tilde, rowGradient, scores, coefA, coefB);
                    VectorKernels.MultiplyAdd<float>(rowGradient, 1f, gradient);
                }
                float correction1 = 1 - MathF.Pow(beta1, step), correction2 = 1 - MathF.Pow(beta2, step);
                for (int d = 0; d < dim; d++)
                {
                    m[d] = beta1 * m[d] + (1 - beta1) * gradient[d];
                    v[d] = beta2 * v[d] + (1 - beta2) * gradient[d] * gradient[d];
                    user[d] -= owner._learningRate * (m[d] / correction1) / (MathF.Sqrt(v[d] / correction2) + epsilon);
                }
            }
            if (score == ScoreKind.Cosine)
            {
                float n2 = MathF.Max(MathF.Sqrt(VectorKernels.SumOfSquares<float>(user)), 1e-12f);
                VectorKernels.Multiply<float>(user, 1f / n2, user);
            }
            return user;
        }

        /// <summary>FNV-1a over the sorted history: the same items always draw the same negatives.</summary>
        private static ulong HistorySeed(int[] items)
        {
            ulong hash = 14695981039346656037UL;
            foreach (int i in items)
            {
                hash = (hash ^ (uint)i) * 1099511628211UL;
            }
            return hash;
        }
    }
}
