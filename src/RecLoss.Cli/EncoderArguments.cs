using System.Globalization;
using RecLoss.Core.Encoders;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;

namespace RecLoss.Cli;

/// <summary>--encoder and each encoder's own options; an option of another encoder is refused naming its owner.</summary>
internal static class EncoderArguments
{
    private sealed record Entry(string Name, EncoderKind Kind, string Formula, string Source, string[] Options);

    private static readonly Entry[] s_catalog =
    [
        new("mf", EncoderKind.MatrixFactorization, "x_u = e_u, v_i = e_i", "Koren et al. 2009; the MF backbone of the MML, SimpleX and BSL papers", []),
        new("simplex", EncoderKind.SimpleX, "x_u = g e_u + (1 - g) W agg(h_j, j in the user's last L train items, the row's target left out); agg mean or softmax(tanh(W_k h_j + b_k) . q) with q = e_u (user attention) or w_q (self attention)",
            "SimpleX (Mao et al. 2021) and its reference code; g 0.8, mean, the whole history in its own table; the reference's Gowalla run: user attention, reference padding",
            ["simplex-gamma", "history-length", "history-table", "aggregator", "attention-padding"]),
        new("lightgcn", EncoderKind.LightGcn, "E = 1/(K+1) sum_{k=0..K} A^k E0, A = D^-1/2 [[0, R], [R^T, 0]] D^-1/2",
            "LightGCN (He et al. 2020) and LightGCN-PyTorch; K 3, init std 0.1", ["layers"]),
    ];

    public static readonly OptionSpec[] Specs =
    [
        new("encoder", "mf|simplex|lightgcn", Section.Model, "the interaction encoder (default mf); 'recloss encoders' lists them with formulas and sources"),
        new("simplex-gamma", "G", Section.Model, "simplex: g in [0, 1], the weight of the user's own embedding (default 0.8; Yelp2018 reference 1; --gamma is SimCE's margin)"),
        new("history-length", "L", Section.Model, "simplex: the last L train items form the history; 0 = all (default 0; Yelp2018 reference 500)"),
        new("history-table", "own|items", Section.Model, "simplex: history items read their own table (default, Gowalla reference) or the item table (Yelp2018 reference)"),
        new("aggregator", "mean|self-attention|user-attention", Section.Model, "simplex: how the history is pooled (default mean; Yelp2018 reference mean, Gowalla user-attention)"),
        new("attention-padding", "masked|reference", Section.Model, "simplex attention: a proper softmax over the history (default), or the reference's, where each slot of the history padded to --history-length (or the longest history) adds e^0 = 1 to the denominator"),
        new("layers", "K", Section.Model, "lightgcn: propagation layers, 0 to 8 (default 3)"),
    ];

    public static readonly OptionSpec[] TrainingSpecs =
    [
        new("l2-on", "tables|batch|batch-layers", Section.Training, "where --l2 applies: every whole embedding table at every step (default; MF and SimpleX references), the batch's rows, lambda/2 (|u|^2 + |p|^2 + |n|^2) / B (LightGCN and BSL references), or lightgcn: the batch's rows of every propagated layer, in-batch negatives counted once as positives (the BSL code's LightGCN)"),
        new("epoch-rows", "interactions|user-uniform", Section.Training, "an epoch's rows: every interaction once, shuffled (default) or as many draws of a uniform user and one of its positives (LightGCN reference)"),
    ];

    /// <summary>The text of `recloss encoders`.</summary>
    public static string Catalog()
    {
        var text = new System.Text.StringBuilder("encoders (--encoder NAME; x_u the user vector and v_i the item vector the loss scores):\n");
        foreach (Entry e in s_catalog)
        {
            CatalogText.Append(text, e.Name, e.Formula, e.Source, e.Options, width: 10);
        }
        text.AppendLine();
        text.AppendLine("  The score is the loss's own (--score overrides it): cosine for mml and ccl as SimpleX's reference, dot for bpr as");
        text.AppendLine("  LightGCN's. MF trains with its own trainer (L2 on the tables or on the batch's rows); SimpleX, LightGCN and MF");
        text.AppendLine("  with --epoch-rows user-uniform train with the generic one. Both take dense Adam: SimpleX and MF defer idle");
        text.AppendLine("  rows and replay their steps when read (exact); LightGCN, whose steps read every row, steps every row.");
        return text.ToString();
    }

    /// <summary>Reads --encoder and its options into the session's encoder settings.</summary>
    public static (EncoderKind Kind, SimpleXOptions SimpleX, LightGcnOptions LightGcn, L2Placement L2, EpochRows Rows) Read(ArgumentReader args)
    {
        string name = args.String("encoder", "mf");
        Entry entry = s_catalog.FirstOrDefault(e => e.Name == name)
            ?? throw new UsageException($"--encoder: '{ArgumentReader.Shorten(name)}' is not an encoder (expected mf, simplex or lightgcn)");
        OwnedOptions.RefuseForeign(args, s_catalog.Select(e => (e.Name, e.Options)), entry.Name, "encoder");
        string table = args.String("history-table", "own");
        string aggregator = args.String("aggregator", "mean");
        string padding = args.String("attention-padding", "masked");
        if (args.Has("attention-padding") && aggregator == "mean")
        {
            throw new UsageException("--attention-padding applies to --aggregator self-attention or user-attention, not mean");
        }
        var simplex = new SimpleXOptions
        {
            Gamma = args.Double("simplex-gamma", new SimpleXOptions().Gamma, 0, 1),
            HistoryLength = args.Int("history-length", 0, 0, 1_000_000),
            SharedHistoryTable = table switch
            {
                "own" => false,
                "items" => true,
                _ => throw new UsageException($"--history-table: '{ArgumentReader.Shorten(table)}' is not a layout (expected own or items)"),
            },
            Aggregator = aggregator switch
            {
                "mean" => SimpleXAggregator.Mean,
                "self-attention" => SimpleXAggregator.SelfAttention,
                "user-attention" => SimpleXAggregator.UserAttention,
                _ => throw new UsageException($"--aggregator: '{ArgumentReader.Shorten(aggregator)}' is not an aggregator (expected mean, self-attention or user-attention)"),
            },
            Padding = padding switch
            {
                "masked" => AttentionPadding.Masked,
                "reference" => AttentionPadding.Reference,
                _ => throw new UsageException($"--attention-padding: '{ArgumentReader.Shorten(padding)}' is not a padding (expected masked or reference)"),
            },
        };
        var lightGcn = new LightGcnOptions { Layers = args.Int("layers", 3, 0, 8) };
        string l2 = args.String("l2-on", "tables");
        string rows = args.String("epoch-rows", "interactions");
        return (entry.Kind, simplex, lightGcn,
            l2 switch
            {
                "tables" => L2Placement.Tables,
                "batch" => L2Placement.Batch,
                "batch-layers" when entry.Kind == EncoderKind.LightGcn => L2Placement.BatchLayers,
                "batch-layers" => throw new UsageException($"--l2-on batch-layers puts L2 on every propagated layer, which lightgcn has and --encoder {entry.Name} has not (use --l2-on batch)"),
                _ => throw new UsageException($"--l2-on: '{ArgumentReader.Shorten(l2)}' is not a placement (expected tables, batch or batch-layers)"),
            },
            rows switch
            {
                "interactions" => EpochRows.Interactions,
                "user-uniform" => EpochRows.UserUniform,
                _ => throw new UsageException($"--epoch-rows: '{ArgumentReader.Shorten(rows)}' is not an epoch layout (expected interactions or user-uniform)"),
            });
    }

    public static string L2Name(L2Placement placement) => placement switch
    {
        L2Placement.Batch => "batch",
        L2Placement.BatchLayers => "batch-layers",
        _ => "tables",
    };

    public static string Name(EncoderKind kind) => s_catalog.First(e => e.Kind == kind).Name;
}
