using System.Globalization;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;

namespace RecLoss.Cli.Commands;

/// <summary>recloss demo: generated data, MF + MML, metrics beside the most-popular baseline.</summary>
internal static class DemoCommand
{
    public static Verb Verb => new("demo", "recloss demo [--data-seed N] [train options]", "train MF + MML on generated data and compare with most-popular (no files needed)",
        "Generates a seeded implicit-feedback data set (3,000 users, 1,500 items, latent structure, long-tailed popularity), trains MF + MML on it and prints the metrics beside the most-popular baseline. Demo settings differ from the Yelp2018 defaults to suit the small data: 20 epochs, batch 256, lr 1e-3, evaluation every 5 epochs; every train option can override them.",
        OptionCatalog.WithDefaults([.. OptionCatalog.Data.Where(o => o.Name is "data-seed" or "validation-ratio" or "split-seed"), .. OptionCatalog.Model,
            .. OptionCatalog.Loss, .. OptionCatalog.Sampling, .. OptionCatalog.Training, .. OptionCatalog.Evaluation, .. OptionCatalog.Output],
            new Dictionary<string, string>
            {
                ["epochs"] = $"{DemoDefaults.Trainer.Epochs}",
                ["batch-size"] = $"{DemoDefaults.Trainer.BatchSize}",
                ["lr"] = DemoDefaults.Adam.LearningRate.ToString("0e0", CultureInfo.InvariantCulture),
                ["eval-every"] = $"{DemoDefaults.Trainer.EvaluateEvery}",
            }), Run);

    /// <summary>Settings that suit the small generated data (finishes in seconds on two cores).</summary>
    public static readonly SessionOptions DemoDefaults = new()
    {
        Adam = new AdamOptions { LearningRate = 1e-3 },
        Trainer = new TrainerOptions { Epochs = 20, BatchSize = 256, EvaluateEvery = 5 },
    };

    private static int Run(ArgumentReader args, VerbContext context) => TrainCommand.Run(args, context, "demo", DemoDefaults);
}
