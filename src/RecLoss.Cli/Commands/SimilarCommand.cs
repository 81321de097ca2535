using System.Globalization;
using RecLoss.Core.Models;
using RecLoss.Core.Serving;

namespace RecLoss.Cli.Commands;

/// <summary>recloss similar: the items nearest to an item by the model's score.</summary>
internal static class SimilarCommand
{
    public static Verb Verb => new("similar", "recloss similar --model PATH --item ID [--k 20]", "items similar to an item, by the model's score",
        "The item's own vector is scored against every other item's (cosine for models trained with cosine scores, the dot product otherwise).",
        [ModelArguments.Model, new("item", "ID", Section.Query, "required: an item of the model"), ModelArguments.K,
         new("deny", "FILE", Section.Query, "never return these items (one id per line)")],
        Run);

    private static int Run(ArgumentReader args, VerbContext context)
    {
        string path = ModelArguments.Path(args);
        string item = args.String("item") ?? throw new UsageException("--item ID is required");
        int k = ModelArguments.ReadK(args);
        TrainedModel model = ModelArguments.Load(path);
        HashSet<int>? deny = ModelArguments.ItemSet(args, "deny", model, context.Error);
        args.EnsureAllUsed("similar");
        int index = ModelArguments.Item(model, item, "--item");
        Recommendations r = new Recommender(model).SimilarItems(index, k, deny);
        context.Output.WriteLine($"items most similar to '{item}' ({model.Header.Encoder.Score.ToString().ToLowerInvariant()} score):");
        context.Output.WriteLine(" rank  item                              score");
        for (int i = 0; i < r.Items.Count; i++)
        {
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $" {i + 1,4}  {model.Items[r.Items[i].Item],-30}  {r.Items[i].Score,9:F5}"));
        }
        if (r.Shortfall is not null)
        {
            context.Output.WriteLine($"fewer than asked: {r.Shortfall}");
        }
        return ExitCodes.Success;
    }
}
