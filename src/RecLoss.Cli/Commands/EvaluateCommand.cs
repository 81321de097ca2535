using System.Globalization;
using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Serving;
using RecLoss.Numerics;

namespace RecLoss.Cli.Commands;

/// <summary>recloss evaluate: the full-ranking metrics of a saved model on a data set's test split.</summary>
internal static class EvaluateCommand
{
    public static Verb Verb => new("evaluate", "recloss evaluate --model PATH [--data PATH] [options]", "evaluate a saved model by full ranking",
        "Ids of the data are looked up in the model; train (and validation) items are masked as in training, so the same data gives the numbers training printed for the epoch the model holds. --fold-in N also scores N test users as new users from their train items alone and compares.",
        [ModelArguments.Model, .. OptionCatalog.Data,
         new("ks", "LIST", Section.Evaluation, "cut-offs K for the metrics (default 10,20,50)"),
         new("fold-in", "N", Section.Evaluation, "also evaluate N test users (a seeded sample) scored from their train items as new users, beside their trained rows"),
         new("threads", "N", Section.Evaluation, "worker threads, 0 = all cores (default 0)")],
        Run);

    private static int Run(ArgumentReader args, VerbContext context)
    {
        string path = ModelArguments.Path(args);
        DataSource source = DataArguments.Read(args);
        int[] ks = args.IntList("ks", 1, 100_000) ?? EvaluatorOptions.Defaults.Ks;
        int foldIn = args.Int("fold-in", 0, 0, int.MaxValue);
        int threads = args.Int("threads", 0, 0, 1024);
        args.EnsureAllUsed("evaluate");
        TrainedModel model = ModelArguments.Load(path);
        Dataset data = source.Load();
        if (data.Test is null || data.Test.Count == 0)
        {
            throw new DataFormatException(source.Path, 0, "the data has no test interactions to evaluate on");
        }

        var map = new IdMapping(model, data);
        InteractionMatrix mask = map.Matrix(data.Validation is null ? data.Train : data.Train.Union(data.Validation));
        InteractionMatrix truth = map.Matrix(data.Test);
        TextWriter o = context.Output;
        o.WriteLine($"model {path}: {model.Header.Encoder.Name}, dim {model.Dim}, {model.Header.Encoder.Score.ToString().ToLowerInvariant()} score, loss {model.Header.Loss["name"]}, epoch {model.Header.Epoch} ({model.Header.Selection})");
        string fingerprint = data.Fingerprint();
        o.WriteLine(fingerprint == model.Header.DataFingerprint
            ? $"data {data.Name}: the data the model was trained on (fingerprint {fingerprint})"
            : $"data {data.Name}: not the data the model was trained on (fingerprint {fingerprint}, the model's {model.Header.DataFingerprint}); ids are matched by name");
        foreach (string note in map.Notes)
        {
            context.Error.WriteLine($"note: {note}");
        }

        var runner = new ParallelRunner(threads);
        var evaluator = new Evaluator(new EvaluatorOptions { Ks = ks }, runner);
        var rows = new List<(string, EvaluationResult)> { ("model", evaluator.Evaluate(model.Factors, mask, truth)) };
        if (foldIn > 0)
        {
            rows.AddRange(FoldInRows(model, map.Matrix(data.Train), mask, truth, foldIn, evaluator, runner, o));
        }
        Render.MetricsTable(o, rows);
        return ExitCodes.Success;
    }

    /// <summary>N sampled test users, evaluated with their trained rows and as new users folded in from their train items.</summary>
    private static IEnumerable<(string, EvaluationResult)> FoldInRows(TrainedModel model, InteractionMatrix train, InteractionMatrix mask, InteractionMatrix truth,
        int count, Evaluator evaluator, ParallelRunner runner, TextWriter o)
    {
        int[] candidates = [.. Enumerable.Range(0, truth.UserCount).Where(u => truth.RowLength(u) > 0 && train.RowLength(u) > 0)];
        new Xoshiro256(2019).Shuffle(candidates.AsSpan());
        int[] sample = [.. candidates.Take(count).Order()];
        if (sample.Length == 0)
        {
            o.WriteLine("fold-in: no test user of this data has train items in the model; nothing to compare");
            yield break;
        }
        var users = new List<int>(sample.Length);
        var items = new List<int>();
        foreach (int u in sample)
        {
            foreach (int i in truth.Row(u))
            {
                users.Add(u);
                items.Add(i);
            }
        }
        InteractionMatrix sampleTruth = InteractionMatrix.FromPairs(truth.UserCount, truth.ItemCount, [.. users], [.. items], out _);
        var foldIn = new FoldIn(model);
        float[] folded = (float[])model.Factors.UserFactors.Clone();
        var cosines = new double[sample.Length];
        runner.For(sample.Length, 8, (start, end) =>
        {
            for (int s = start; s < end; s++)
            {
                int u = sample[s];
                float[] v = foldIn.UserVector(train.Row(u));
                v.CopyTo(folded, u * model.Dim);
                ReadOnlySpan<float> trained = model.Factors.User(u);
                cosines[s] = VectorKernels.Dot<float>(v, trained) / Math.Max(Math.Sqrt(VectorKernels.SumOfSquares<float>(v) * VectorKernels.SumOfSquares(trained)), 1e-12);
            }
        });
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fold-in ({foldIn.Method}{(foldIn.Method == "fit" ? $", {FoldIn.Steps} steps" : "")}) of {sample.Length:N0} test users from their train items: mean cosine to their trained rows {cosines.Average():F3}"));
        var foldedModel = new FactorModel(model.Factors.UserCount, model.Factors.ItemCount, model.Dim, folded, model.Factors.ItemFactors);
        yield return ($"sample of {sample.Length:N0}: trained rows", evaluator.Evaluate(model.Factors, mask, sampleTruth));
        yield return ($"sample of {sample.Length:N0}: folded in", evaluator.Evaluate(foldedModel, mask, sampleTruth));
    }

    /// <summary>A data set's indices mapped onto the model's by id; interactions of ids the model lacks are dropped and counted.</summary>
    private sealed class IdMapping
    {
        private readonly int[] _user, _item;   // data index -> model index, or -1
        private readonly int _userCount, _itemCount;

        public IdMapping(TrainedModel model, Dataset data)
        {
            (_userCount, _itemCount) = (model.Users.Count, model.Items.Count);
            _user = Map(data.Users, model.Users, out int missingUsers);
            _item = Map(data.Items, model.Items, out int missingItems);
            if (missingUsers > 0 || missingItems > 0)
            {
                Notes.Add($"{missingUsers:N0} users and {missingItems:N0} items of the data are not in the model; their interactions are left out");
            }
        }

        public List<string> Notes { get; } = [];

        public InteractionMatrix Matrix(InteractionMatrix m)
        {
            var users = new List<int>(m.Count);
            var items = new List<int>(m.Count);
            for (int u = 0; u < m.UserCount; u++)
            {
                if (_user[u] < 0)
                {
                    continue;
                }
                foreach (int i in m.Row(u))
                {
                    if (_item[i] >= 0)
                    {
                        users.Add(_user[u]);
                        items.Add(_item[i]);
                    }
                }
            }
            return InteractionMatrix.FromPairs(_userCount, _itemCount, [.. users], [.. items], out _);
        }

        private static int[] Map(IdMap ids, IdIndex model, out int missing)
        {
            var result = new int[ids.Count];
            missing = 0;
            for (int i = 0; i < ids.Count; i++)
            {
                result[i] = model.TryGetIndex(ids.GetId(i), out int index) ? index : -1;
                missing += result[i] < 0 ? 1 : 0;
            }
            return result;
        }
    }
}
