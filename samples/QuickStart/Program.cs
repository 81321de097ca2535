// RecLoss as a library: train on generated data, save, load, and recommend by the data's own ids.
// Run: dotnet run --project samples/QuickStart -c Release
using RecLoss.Core;
using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;
using RecLoss.Core.Training;

// 1. Data: 2,000 users and 1,000 items with latent preferences (or SplitFileLoader / DelimitedFileLoader for files).
Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 2000, Items = 1000, Seed = 7 });

// 2. Train matrix factorization with the Multi-Margin Loss (the MML paper's Yelp2018 settings), 10 epochs.
var options = new SessionOptions { Trainer = new TrainerOptions { Epochs = 10, BatchSize = 256, Seed = 7 } };
RecLossModel model = RecLossModel.Train(data, MultiMarginLoss.Yelp2018, options);
MetricsAtK last = model.Training!.Last.Record.Test!.At(20);
Console.WriteLine($"trained {model.Training.Epochs.Count} epochs: Recall@20 {last.Recall:F4}, NDCG@20 {last.Ndcg:F4}");

// 3. Save and load: one file with the ids, the seen items, the vectors and the parameters.
string path = Path.Combine(Path.GetTempPath(), "recloss-quickstart.rlm");
model.Save(path);
RecLossModel loaded = RecLossModel.Load(path);
Console.WriteLine($"saved and loaded {path}: {loaded.Model.Users.Count} users, {loaded.Model.Items.Count} items, dim {loaded.Model.Dim}");

// 4. Recommend for a known user, for a new user from her items, and items similar to an item.
string user = loaded.Model.Users[0];
Console.WriteLine($"user {user}: " + string.Join(", ", loaded.Recommend(user, k: 5).Select(r => $"{r.Item} ({r.Score:F3})")));
string[] history = [loaded.Model.Items[3], loaded.Model.Items[10], loaded.Model.Items[42]];
Console.WriteLine($"new user who liked {string.Join(", ", history)}: " + string.Join(", ", loaded.RecommendForHistory(history, k: 5).Select(r => r.Item)));
Console.WriteLine($"items like {history[0]}: " + string.Join(", ", loaded.Similar(history[0], k: 5).Select(r => r.Item)));
File.Delete(path);
