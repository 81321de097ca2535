using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;

namespace RecLoss.Cli.Commands;

/// <summary>recloss demo: generated data, MF + MML, metrics beside the most-popular baseline.</summary>
internal static class DemoCommand
{
    public const string Help = """
        recloss demo [--seed N] [--threads N] [--out DIR] [train options]
          Generates a seeded implicit-feedback data set (3,000 users, 1,500 items, latent structure, long-tailed
          popularity), trains MF + MML on it and prints the metrics beside the most-popular baseline. Needs no files.
          Demo settings differ from the Yelp2018 defaults to suit the small data: 20 epochs, batch 256, lr 1e-3,
          evaluation every 5 epochs; every train option can override them.
        """;

    /// <summary>Settings that suit the small generated data (finishes in seconds on two cores).</summary>
    public static readonly SessionOptions DemoDefaults = new()
    {
        Adam = new AdamOptions { LearningRate = 1e-3 },
        Trainer = new TrainerOptions { Epochs = 20, BatchSize = 256, EvaluateEvery = 5 },
    };

    public static int Run(ArgumentReader args, TextWriter output, TextWriter progress, bool live, CancellationToken cancellation)
    {
        Dataset data = GenerateData(args);
        IRowLoss loss = LossArguments.Read(args);
        SessionOptions options = TrainCommand.ReadSessionOptions(args, loss, DemoDefaults);
        string? outDir = args.String("out");
        args.EnsureAllUsed("demo");
        return TrainCommand.Execute(data, loss, options, outDir, output, progress, live, cancellation);
    }

    public static Dataset GenerateData(ArgumentReader args) => SyntheticData.Generate(new SyntheticDataOptions
    {
        Seed = (ulong)args.Int("data-seed", (int)SyntheticDataOptions.Defaults.Seed, 0),
    });
}
