namespace RecLoss.Cli;

/// <summary>The help sections, in the order help prints them.</summary>
internal enum Section
{
    Data,
    Model,
    Loss,
    Sampling,
    Training,
    Evaluation,
    Output,
    Query,
    Benchmark,
    General,
}

/// <summary>One option as the command line declares it; <paramref name="Value"/> is null for a flag (no value).</summary>
internal sealed record OptionSpec(string Name, string? Value, Section Section, string Description)
{
    public bool IsFlag => Value is null;
}

/// <summary>Every option of every verb, with its help text; the verbs pick theirs by section and name.</summary>
internal static class OptionCatalog
{
    public static readonly OptionSpec[] Data =
    [
        new("data", "PATH", Section.Data, "a folder with train.txt and test.txt (LightGCN format), or a CSV/TSV file with a header; without it, generated demo data"),
        new("data-seed", "N", Section.Data, "seed of the generated demo data, used only without --data (default 2019)"),
        new("user-column", "NAME", Section.Data, "delimited file: user column (default user_id; 'name' also matches 'name:token')"),
        new("item-column", "NAME", Section.Data, "delimited file: item column (default item_id)"),
        new("rating-column", "NAME", Section.Data, "delimited file: rating column; rows below --rating-threshold are not positives"),
        new("rating-threshold", "X", Section.Data, "delimited file: smallest positive rating (default 4)"),
        new("timestamp-column", "NAME", Section.Data, "delimited file: timestamp column (needed by --split temporal)"),
        new("delimiter", "C", Section.Data, "delimited file: field separator, 'tab' or one character (default: tab if the header has one, else comma)"),
        new("split", "random|temporal", Section.Data, "delimited file: per-user split into train and test (default random)"),
        new("train-ratio", "X", Section.Data, "delimited file: share of each user's interactions in train, in (0, 1) (default 0.8)"),
        new("validation-ratio", "X", Section.Data, "carve this share of each user's train items out as a validation split, in (0, 1)"),
        new("split-seed", "N", Section.Data, "seed of the random splits: a delimited file's, and --validation-ratio's (default 2019)"),
    ];

    public static readonly OptionSpec[] Model =
    [
        new("dim", "N", Section.Model, "embedding dimension, 1 to 4096 (default 64)"),
        new("init-std", "X", Section.Model, "std of the N(0, std^2) initialisation, in (0, 1] (default 1e-4; lightgcn 0.1)"),
        new("init-dist", "normal|xavier-uniform", Section.Model, "how the embedding tables start: N(0, init-std^2) (default) or U(-a, a), a = sqrt(6 / (rows + dim)) per table (the BSL code)"),
        new("score", "cosine|dot", Section.Model, "score function (default: the loss's own, cosine for mml and ccl)"),
        new("eval-score", "cosine|dot", Section.Model, "the score of the trained model, for evaluation, saving and serving (default: --score; the BSL code's LightGCN trains with cosine and ranks Yelp2018 by the dot product)"),
        .. EncoderArguments.Specs,
    ];

    /// <summary>--loss, then every loss's own options (their owners come from <see cref="LossArguments"/>).</summary>
    public static OptionSpec[] Loss =>
    [
        new("loss", "NAME", Section.Loss, "loss (default mml); 'recloss losses' lists them with formulas, sources and defaults"),
        .. LossArguments.OptionSpecs(),
    ];

    public static readonly OptionSpec[] Sampling =
    [
        new("negatives", "N", Section.Sampling, $"negatives per training row, 1 to {Limits.MaxNegatives:N0} (default 100)"),
        new("exclude-positives", null, Section.Sampling, "never draw a user's own train items as negatives (the reference code does not exclude them)"),
        new("sampler", "SPEC", Section.Sampling, "uniform (default, as the reference) | popularity | in-batch (the batch's other positives, the user's own masked) | in-batch-all (every other row's positive once, nothing masked, --negatives = --batch-size - 1: the BSL code's full in-batch softmax) | hard (top-scored of M uniform candidates outside the user's items), or a mixture NAME:SHARE,... with shares summing to 1, e.g. hard:0.5,uniform:0.5"),
        new("popularity-alpha", "X", Section.Sampling, "popularity sampler: probability proportional to train count^X, X in [0, 10] (default 1)"),
        new("hard-candidates", "M", Section.Sampling, $"hard sampler: uniform candidates scored per row, up to {Limits.MaxHardCandidates:N0} (default 4 per hard negative)"),
        new("draw-negatives", "per-batch|per-epoch", Section.Sampling, "when rows draw their negatives (default per-batch); per-epoch draws the whole epoch first, as the reference's loader (same negatives: one stream per row)"),
        new("false-negative-ratio", "R", Section.Sampling, "noise: a share R in [0, 1] of each row's negatives are the user's own train items (default 0)"),
        new("false-negative-weight", "W", Section.Sampling, "noise: uniform negatives weight the user's own train items W against 1 for every other item (the BSL code's r_noise: 0 excludes them, 1 is plain uniform; in [0, 1000]; default off)"),
        new("noisy-positive-ratio", "R", Section.Sampling, "noise: add round(R n_u) random items user u never interacted with to its train items (BSL's positive noise), listed in noisy-positives.csv beside run.json; R in [0, 10]"),
    ];

    public static readonly OptionSpec[] Training =
    [
        new("epochs", "N", Section.Training, "epochs (default 100)"),
        new("batch-size", "N", Section.Training, $"rows per step, 1 to {Limits.MaxBatchSize:N0} (default 512)"),
        new("optimizer", "adam|sparse-adam", Section.Training, "adam: dense Adam as the reference, every row every step (default); sparse-adam: only rows with a gradient step (faster, NOT the reference; see docs/PERFORMANCE.md)"),
        new("lr", "X", Section.Training, "Adam learning rate, > 0 (default 1e-4)"),
        new("beta1", "X", Section.Training, "Adam first-moment decay in [0, 1) (default 0.9)"),
        new("beta2", "X", Section.Training, "Adam second-moment decay in [0, 1) (default 0.999)"),
        new("adam-eps", "X", Section.Training, "Adam epsilon, > 0 (default 1e-8)"),
        new("l2", "X", Section.Training, "lambda of (lambda/2)||W||^2 over whole tables, >= 0 (default 1e-9)"),
        new("clip-norm", "X", Section.Training, "clip the global gradient norm at X; 0 = off (default 10)"),
        new("dropout", "X", Section.Training, "dropout on the normalised user vector in training (before normalising with --dropout-before-norm), in [0, 0.99] (default 0.1)"),
        new("dropout-before-norm", null, Section.Training, "cosine: drop out the raw user vector before normalising it, as the BSL code does (default after, as the MML and SimpleX code); MF only"),
        new("patience", "N", Section.Training, "early stopping: stop after N evaluations without a better Recall@K (--select-metric) on the --select-on split and restore the best epoch (default 0: train every epoch)"),
        new("select-on", "validation|test", Section.Training, "with --patience or --plateau-factor: the split they watch (default validation; test is the reference's optimistic protocol and is labelled test-selected everywhere)"),
        new("plateau-factor", "F", Section.Training, "learning rate on plateau, as the SimpleX reference: after each evaluation without a better Recall@K (--select-metric) on the --select-on split, multiply the rate by F in (0, 1) and go on from the best epoch's parameters; the run ends holding the best epoch (reference 0.1; default off)"),
        new("plateau-min-lr", "X", Section.Training, "with --plateau-factor: the rate is not cut below X, >= 0 (default 1e-6, the reference's)"),
        .. EncoderArguments.TrainingSpecs,
        new("checkpoint", "DIR", Section.Training, "keep the run's state in DIR (checkpoint.rlm, written whole after every --checkpoint-every epochs); when DIR already holds a checkpoint of this run, continue from it exactly"),
        new("checkpoint-every", "N", Section.Training, "with --checkpoint or --resume: epochs between checkpoints, >= 1 (default 1); the last epoch always"),
        new("resume", "DIR", Section.Training, "continue the run checkpointed in DIR (as --checkpoint DIR, but DIR must hold a checkpoint); the options must be the run's own"),
        new("init", "PATH", Section.Training, "start from a saved model's parameters (its encoder settings hold; the same data); with its optimizer state (--save-optimizer) the run continues exactly, epochs numbered on"),
        new("seed", "N", Section.Training, "seed of initialisation, shuffling, negatives and dropout, >= 0 (default 2019)"),
        new("threads", "N", Section.Training, "worker threads, 0 = all cores (default 0); results do not depend on it"),
    ];

    public static readonly OptionSpec[] Evaluation =
    [
        new("ks", "LIST", Section.Evaluation, "cut-offs K for the metrics (default 10,20,50; must include --select-k)"),
        new("select-k", "K", Section.Evaluation, "K whose metric chooses the best epoch (default 20)"),
        new("select-metric", "recall|ndcg", Section.Evaluation, "the metric at --select-k that chooses the best epoch, for early stopping, the plateau schedule and the best-epoch reports (default recall; the SimpleX reference's Gowalla run monitors ndcg)"),
        new("eval-every", "N", Section.Evaluation, "evaluate every N epochs (default 1); the last epoch always"),
    ];

    public static readonly OptionSpec[] Output =
    [
        new("out", "DIR", Section.Output, "write DIR/run.json (created and checked for writing before training starts)"),
        new("save", "PATH", Section.Output, "write the trained model to PATH (a .rlm file: ids, seen items, vectors, parameters; checked for writing before training); with --out it defaults to DIR/model.rlm"),
        new("save-optimizer", null, Section.Output, "store the optimizer state in the model file too, so that 'train --init PATH' continues exactly where this run stopped"),
        new("force", null, Section.Output, "replace an existing DIR/run.json or model file (without it, an existing one stops the run before training)"),
    ];

    public static readonly OptionSpec[] Benchmark =
    [
        new("negatives", "LIST", Section.Benchmark, "negatives per row, one configuration each (default 10,100,800; with --sampler in-batch-all the batch size - 1)"),
        new("epochs", "N", Section.Benchmark, "timed epochs per configuration (default 3)"),
        new("skip-machine", null, Section.Benchmark, "skip the machine's floor (FMA, triad, sqrt/divide and the per-configuration floors)"),
    ];

    /// <summary>Options that hold for every verb (declared on the root, inherited by the verbs).</summary>
    public static readonly OptionSpec Verbose = new("verbose", null, Section.General, "on an unexpected error, print the full stack trace");

    /// <summary>The specs with the "(default X)" of the named options replaced, for a verb with its own defaults.</summary>
    public static OptionSpec[] WithDefaults(IEnumerable<OptionSpec> specs, IReadOnlyDictionary<string, string> defaults) =>
        specs.Select(s => defaults.TryGetValue(s.Name, out string? value)
            ? s with { Description = System.Text.RegularExpressions.Regex.Replace(s.Description, @"\(default [^)]*\)", $"(default {value})") }
            : s).ToArray();

    /// <summary>The training options of bench: what it times, not what it evaluates or selects.</summary>
    public static OptionSpec[] BenchTraining => Training.Where(o => o.Name is not ("epochs" or "patience" or "select-on" or "plateau-factor" or "plateau-min-lr" or "init" or "checkpoint" or "checkpoint-every" or "resume")).ToArray();
}

/// <summary>Limits that keep a run's buffers addressable and its memory bounded; checked before any data is loaded.</summary>
internal static class Limits
{
    public const int MaxNegatives = 100_000;
    public const int MaxBatchSize = 1 << 20;
    public const int MaxHardCandidates = 100_000;

    /// <summary>Score slots one step may hold: batch x (1 + negatives + hard candidates).</summary>
    public const long MaxSlotsPerStep = 1L << 24;

    /// <summary>Negatives a per-epoch draw may hold (2 GiB of item indices).</summary>
    public const long MaxNegativesPerEpoch = 1L << 29;
}
