using RecLoss.Core.Losses;

namespace RecLoss.Core.Encoders;

/// <summary>Options of SimpleX (Mao et al., 2021) with the mean aggregator.</summary>
public sealed class SimpleXOptions
{
    public int Dim { get; init; } = 64;

    /// <summary>g in <c>g e_u + (1 - g) W agg(history)</c> (Yelp2018 reference 1, Gowalla 0.8).</summary>
    public double Gamma { get; init; } = 0.8;

    /// <summary>The most recent history items kept per user (Yelp2018 reference 500); 0 keeps the whole history.</summary>
    public int HistoryLength { get; init; }

    /// <summary>History items read the item table (Yelp2018 reference) instead of their own table (Gowalla reference).</summary>
    public bool SharedHistoryTable { get; init; }

    /// <summary>Std of the N(0, std^2) embedding initialisation (reference: 1e-4).</summary>
    public double InitStd { get; init; } = 1e-4;

    public ScoreKind Score { get; init; } = ScoreKind.Cosine;

    /// <summary>How the embedding tables start (W and the attention keep Xavier normal).</summary>
    public InitKind Init { get; init; } = InitKind.Normal;

    /// <summary>The exported model's score; null: <see cref="Score"/>.</summary>
    public ScoreKind? EvaluationScore { get; init; }

    /// <summary>How the history is pooled (reference: mean on Yelp2018, user attention on Gowalla).</summary>
    public SimpleXAggregator Aggregator { get; init; } = SimpleXAggregator.Mean;

    /// <summary>Attention only: the reference's softmax over a padded history, or the properly masked softmax.</summary>
    /// <remarks>The padded length is <see cref="HistoryLength"/>, or without one the longest train history less one
    /// (the reference's max_len: 810 on Gowalla).</remarks>
    public AttentionPadding Padding { get; init; } = AttentionPadding.Masked;
}

/// <summary>SimpleX's history pooling (the reference's BehaviorAggregator).</summary>
public enum SimpleXAggregator
{
    /// <summary>The mean of the history embeddings.</summary>
    Mean,

    /// <summary>Softmax weights from <c>tanh(W_k h_j + b_k) . w_q</c> with a learned query w_q.</summary>
    SelfAttention,

    /// <summary>Softmax weights from <c>tanh(W_k h_j + b_k) . e_u</c>: the user's own embedding is the query (the reference's cross attention).</summary>
    UserAttention,
}

/// <summary>How the attention softmax treats the padded slots of the reference's fixed-length history.</summary>
public enum AttentionPadding
{
    /// <summary>Only the real history items: a proper softmax.</summary>
    Masked,

    /// <summary>As the reference code: each padded slot gets logit 0, so adds e^0 = 1 to the denominator (the history is
    /// padded to the history length, or to the longest train history when that is 0).</summary>
    Reference,
}
