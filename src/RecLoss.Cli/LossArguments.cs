using System.Globalization;
using RecLoss.Core.Losses;

namespace RecLoss.Cli;

/// <summary>Builds the loss from --loss and its own options; options of another loss are rejected, not ignored.</summary>
internal static class LossArguments
{
    /// <summary>One loss as the CLI offers it.</summary>
    private sealed record Entry(string Name, string Formula, string Source, string Score, string[] Options, Func<ArgumentReader, IRowLoss> Create);

    private static readonly Entry[] s_catalog =
    [
        new("mml", "w_p relu(1 - s+) + w_n (1/N) sum_j sum_k w_k relu(s_j - m_k)", "MML paper Eq. 7; defaults: its Yelp2018 settings", "cosine",
            ["margins", "margin-weights", "positive-weight", "negative-weight"], ReadMml),
        new("ccl", "relu(1 - s+) + w (1/N) sum_j relu(s_j - m)", "MML paper Eq. 2 (SimpleX); m 0.9, w 150 from the SimpleX/MML settings", "cosine",
            ["margin", "negative-weight"], a => new CosineContrastiveLoss(
                a.Double("margin", CosineContrastiveLoss.Defaults.Margin, -1, 1),
                a.Double("negative-weight", CosineContrastiveLoss.Defaults.NegativeWeight, 0))),
        new("bpr", "(1/N) sum_j softplus(s_j - s+)", "Rendle et al. 2009; SimCE paper Sec. 3.2.1; no parameters", "dot",
            [], _ => new BprLoss()),
        new("bce", "softplus(-s+) + w sum_j softplus(s_j), summed over the batch", "BSL paper baseline; REFERENCE.md; w 1 (the reference; 1/N averages the negatives)", "cosine",
            ["negative-weight"], a => new BinaryCrossEntropyLoss(a.Double("negative-weight", BinaryCrossEntropyLoss.Defaults.NegativeWeight, 0))),
        new("mse", "(s+ - 1)^2/2 + sum_j s_j^2/2", "BSL paper baseline; REFERENCE.md; no parameters", "cosine",
            [], _ => new MeanSquaredErrorLoss()),
        new("hinge", "(1/N) sum_j relu(m - s+ + s_j)", "pairwise hinge (SimCE paper Sec. 2); m 1", "dot",
            ["margin"], a => new PairwiseHingeLoss(a.Double("margin", PairwiseHingeLoss.Defaults.Margin, 0))),
        new("contrastive", "(1/2) d(u,i)^2 + (1/2) sum_j relu(m - d(u,j))^2, d^2 = 2 - 2s", "MML paper Eq. 1; m 1 (ours: Eq. 1 gives none)", "cosine only",
            ["margin"], a => new ContrastiveLoss(a.Double("margin", ContrastiveLoss.Defaults.Margin, 0, 2, minExclusive: true))),
        new("triplet", "sum_j relu(d(u,i)^2 - d(u,j)^2 + m) = sum_j relu(2 s_j - 2 s+ + m)", "MML paper Eq. 3 (FaceNet); m 0.2 (FaceNet)", "cosine only",
            ["margin"], a => new TripletLoss(a.Double("margin", TripletLoss.Defaults.Margin, 0, 4))),
        new("ssm", "-log(e^{s+/t} / (e^{s+/t} + sum_j e^{s_j/t})); alias infonce", "MML paper Eq. 4, SimCE paper Eq. 4; t 1", "dot",
            ["temperature"], a => new SampledSoftmaxLoss(a.Double("temperature", SampledSoftmaxLoss.Defaults.Temperature, 0, minExclusive: true))),
        new("sl", "-s+/t + log sum_j e^{s_j/t} (positive out of the denominator)", "BSL paper Eq. 4-5; t 0.11 (BSL code, Yelp2018 MF)", "cosine",
            ["temperature"], a => new SoftmaxLoss(a.Double("temperature", SoftmaxLoss.Defaults.Temperature, 0, minExclusive: true))),
        new("bsl", "reference: -s+/t1 + t2 log sum_j e^{s_j/t1}; paper: -t1 log E_i e^{s_i/t1} + t2 log E_j e^{s_j/t2}",
            "BSL paper Eq. 18 and its code; t1 0.11, t2 1.10 (Yelp2018 MF); --bsl-form reference|paper; --pool-positives pools a user's positives in the batch", "cosine",
            ["temperature", "temperature-negative", "bsl-form", "pool-positives"], ReadBsl),
        new("simce", "relu(gamma - s+ + max_j s_j)", "SimCE paper Eq. 7; gamma 1 (its grid: 1, 5, 10)", "dot",
            ["gamma"], a => new SimCeLoss(a.Double("gamma", SimCeLoss.Defaults.Gamma, 0))),
        new("generalized", "w_p P(s+) + w_n A_j(sum_k w_k phi(f(u,i,j,m_k)))",
            "MML paper Sec. 3.1; defaults give MML; --positive-term none|linear|hinge --negative-term similarity|distance|triplet|score --activation relu|half-squared-relu|identity --aggregation mean|sum|softmax", "cosine",
            ["positive-term", "negative-term", "activation", "aggregation", "margins", "margin-weights", "positive-weight", "negative-weight"], ReadGeneralized),
    ];

    /// <summary>Each loss option's value and meaning; its owners are the losses that list it.</summary>
    private static readonly (string Name, string? Value, string Description)[] s_options =
    [
        ("margins", "LIST", "margins m_k, comma-separated (default 0.6,0.7,0.8,0.9)"),
        ("margin-weights", "LIST", "weights w_k, one per margin (default 0.05,0.15,0.2,0.6)"),
        ("positive-weight", "X", "w_p, weight of the positive term, >= 0 (default 1)"),
        ("negative-weight", "X", "w_n (mml, generalized: default 400) or w (ccl: default 150; bce: default 1), >= 0"),
        ("margin", "X", "the margin m (ccl 0.9 in [-1, 1]; hinge 1; contrastive 1 in (0, 2]; triplet 0.2 in [0, 4])"),
        ("temperature", "X", "temperature t, > 0 (ssm 1, sl 0.11; bsl: t1, 0.11)"),
        ("temperature-negative", "X", "bsl: t2, the negatives' temperature, > 0 (default 1.10)"),
        ("bsl-form", "reference|paper", "bsl: the reference code's form or the paper's Eq. 18 (default reference)"),
        ("pool-positives", null, "bsl: pool a user's positives within the batch"),
        ("gamma", "X", "simce: the margin gamma, >= 0 (default 1)"),
        ("positive-term", "none|linear|hinge", "generalized: P(s+) (default hinge)"),
        ("negative-term", "similarity|distance|triplet|score", "generalized: f(u,i,j,m) (default similarity)"),
        ("activation", "relu|half-squared-relu|identity", "generalized: phi (default relu)"),
        ("aggregation", "mean|sum|softmax", "generalized: A over the negatives (default mean)"),
    ];

    /// <summary>The names --loss takes (infonce is an alias of ssm).</summary>
    public static string[] Names => [.. s_catalog.Select(e => e.Name), "infonce"];

    /// <summary>The loss options as the command line declares them, each naming the losses that own it.</summary>
    public static IEnumerable<OptionSpec> OptionSpecs() => s_options.Select(o => new OptionSpec(o.Name, o.Value, Section.Loss,
        $"{o.Description}; loss {string.Join(", ", s_catalog.Where(e => e.Options.Contains(o.Name)).Select(e => e.Name))}"));

    /// <summary>The text of `recloss losses`.</summary>
    public static string Catalog()
    {
        var text = new System.Text.StringBuilder("losses (--loss NAME; s+ the positive's score, s_j the N negatives'):\n");
        foreach (Entry e in s_catalog)
        {
            CatalogText.Append(text, e.Name, e.Formula, $"{e.Source}; default score {e.Score}", e.Options);
        }
        return text.ToString();
    }

    public static IRowLoss Read(ArgumentReader args)
    {
        string name = args.String("loss", "mml");
        name = name == "infonce" ? "ssm" : name;
        Entry entry = s_catalog.FirstOrDefault(e => e.Name == name)
            ?? throw new UsageException($"--loss: '{ArgumentReader.Shorten(name)}' is not a loss (expected one of {string.Join(", ", s_catalog.Select(e => e.Name))}, or infonce)");
        OwnedOptions.RefuseForeign(args, s_catalog.Select(e => (e.Name, e.Options)), entry.Name, "loss");
        try
        {
            return entry.Create(args);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--loss {name}: {Messages.Of(e)}");
        }
    }

    /// <summary>The loss and its hyper-parameters in one line, for logs and run records.</summary>
    public static string Describe(IRowLoss loss) => loss switch
    {
        MultiMarginLoss m => Invariant($"mml margins [{string.Join(",", m.Margins)}] weights [{string.Join(",", m.MarginWeights)}] w_p {m.PositiveWeight} w_n {m.NegativeWeight}"),
        CosineContrastiveLoss c => Invariant($"ccl margin {c.Margin} w {c.NegativeWeight}"),
        PairwiseHingeLoss h => Invariant($"hinge margin {h.Margin}"),
        ContrastiveLoss c => Invariant($"contrastive margin {c.Margin}"),
        TripletLoss t => Invariant($"triplet margin {t.Margin}"),
        SampledSoftmaxLoss s => Invariant($"ssm temperature {s.Temperature}"),
        SoftmaxLoss s => Invariant($"sl temperature {s.Temperature}"),
        BilateralSoftmaxLoss b => Invariant($"bsl {b.Form.ToString().ToLowerInvariant()} form, t1 {b.PositiveTemperature} t2 {b.NegativeTemperature}, positives {(b.PoolPositives ? "pooled per user in the batch" : "single")}"),
        SimCeLoss s => Invariant($"simce gamma {s.Gamma}"),
        BinaryCrossEntropyLoss b when b.NegativeWeight != BinaryCrossEntropyLoss.Defaults.NegativeWeight => Invariant($"bce w {b.NegativeWeight}"),
        GeneralizedContrastiveLoss g => Invariant($"generalized P {g.PositiveTerm} f {g.NegativeTerm} phi {g.Activation} A {g.Aggregation} margins [{string.Join(",", g.Margins)}] weights [{string.Join(",", g.MarginWeights)}] w_p {g.PositiveWeight} w_n {g.NegativeWeight}"),
        _ => loss.Name,
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static (double[] Margins, double[] Weights) ReadMargins(ArgumentReader args, double[] defaultMargins, double[] defaultWeights)
    {
        double[] margins = args.DoubleList("margins") ?? defaultMargins;
        double[] weights = args.DoubleList("margin-weights") ?? (args.Has("margins") && margins.Length != defaultMargins.Length
            ? throw new UsageException($"--margins has {margins.Length} values, so --margin-weights must give {margins.Length} weights too")
            : defaultWeights);
        if (margins.Length != weights.Length)
        {
            throw new UsageException($"--margins has {margins.Length} values but --margin-weights has {weights.Length}; give one weight per margin");
        }
        return (margins, weights);
    }

    private static IRowLoss ReadMml(ArgumentReader args)
    {
        (double[] margins, double[] weights) = ReadMargins(args, MultiMarginLoss.Defaults.Margins, MultiMarginLoss.Defaults.MarginWeights);
        return new MultiMarginLoss(margins, weights,
            args.Double("positive-weight", MultiMarginLoss.Defaults.PositiveWeight, 0),
            args.Double("negative-weight", MultiMarginLoss.Defaults.NegativeWeight, 0));
    }

    private static IRowLoss ReadBsl(ArgumentReader args) => new BilateralSoftmaxLoss(
        args.Double("temperature", BilateralSoftmaxLoss.Defaults.PositiveTemperature, 0, minExclusive: true),
        args.Double("temperature-negative", BilateralSoftmaxLoss.Defaults.NegativeTemperature, 0, minExclusive: true),
        Choice(args, "bsl-form", BslForm.Reference),
        args.Flag("pool-positives"));

    private static IRowLoss ReadGeneralized(ArgumentReader args)
    {
        (double[] margins, double[] weights) = ReadMargins(args, MultiMarginLoss.Defaults.Margins, MultiMarginLoss.Defaults.MarginWeights);
        return new GeneralizedContrastiveLoss(
            Choice(args, "positive-term", PositiveTerm.Hinge), Choice(args, "negative-term", NegativeTerm.Similarity),
            Choice(args, "activation", Activation.Relu), Choice(args, "aggregation", Aggregation.Mean), margins, weights,
            args.Double("positive-weight", MultiMarginLoss.Defaults.PositiveWeight, 0),
            args.Double("negative-weight", MultiMarginLoss.Defaults.NegativeWeight, 0));
    }

    /// <summary>An enum option written in kebab case (half-squared-relu for HalfSquaredRelu).</summary>
    private static TEnum Choice<TEnum>(ArgumentReader args, string option, TEnum fallback)
        where TEnum : struct, Enum
    {
        string? text = args.String(option);
        if (text is null)
        {
            return fallback;
        }
        foreach (TEnum value in Enum.GetValues<TEnum>())
        {
            if (Kebab(value.ToString()) == text)
            {
                return value;
            }
        }
        throw new UsageException($"--{option}: '{ArgumentReader.Shorten(text)}' is not one of {string.Join(", ", Enum.GetValues<TEnum>().Select(v => Kebab(v.ToString())))}");
    }

    private static string Kebab(string pascal) => LossParameters.Kebab(pascal);

}
