using System.Globalization;
using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;
using RecLoss.Numerics;

namespace RecLoss.Cli.Commands;

/// <summary>recloss bench: seconds per epoch, throughput, evaluation time and memory for several negative counts.</summary>
internal static class BenchCommand
{
    public static Verb Verb => new("bench", "recloss bench [--data PATH] [--negatives LIST] [--epochs N] [train options] [--skip-machine]",
        "seconds per epoch, throughput, evaluation time and memory",
        "Trains each configuration for --epochs epochs (default 3) and prints the median seconds per epoch, training rows/s, GFLOP/s of the scoring dot products, GB/s of the optimizer's row traffic, the full-ranking evaluation time at K = 20 (median of 3), the process's peak working set, and seconds per epoch of every phase. Then it measures this machine's floor: FMA peak, memory bandwidth (triad) and sqrt/divide rate, and for each configuration the least time dense Adam needs per epoch here (every item row a step reads takes the steps it missed, reading and writing its w, m and v; every element takes one sqrt and one divide per step) and the time the scoring's gathered dot products take alone. It also times one LightGCN propagation layer over the data's graph and the traffic it moves. Any encoder can be timed (--encoder); the scoring and optimizer rates and the machine's floors are those of MF's own trainer and are shown for it only. Without --data it runs on the generated demo data. It neither evaluates per epoch nor selects an epoch, so the evaluation and early-stopping options are not taken.",
        [.. OptionCatalog.Data, .. OptionCatalog.Model, .. OptionCatalog.Loss, .. OptionCatalog.Sampling.Where(o => o.Name is not ("negatives" or "noisy-positive-ratio")),
         .. OptionCatalog.BenchTraining, .. OptionCatalog.Benchmark], (args, context) => Run(args, context.Output, context.Cancellation));

    public static int Run(ArgumentReader args, TextWriter output, CancellationToken cancellation)
    {
        int[]? askedNegatives = args.IntList("negatives", 1, Limits.MaxNegatives);
        int epochs = args.Int("epochs", 3, 1, 1000);
        bool skipMachine = args.Flag("skip-machine");
        IRowLoss loss = LossArguments.Read(args);
        SessionOptions baseOptions = SessionArguments.Read(args, loss, null, readNegatives: false);
        // In-batch-all scores every other row of the batch once: its one count is the batch size - 1.
        int[] negatives = askedNegatives ?? (baseOptions.Sampler.Parts.All(p => p.Kind == SamplerKind.InBatchAll)
            ? [baseOptions.Trainer.BatchSize - 1] : [10, 100, 800]);
        DataSource source = DataArguments.Read(args);
        args.EnsureAllUsed("bench");
        foreach (int n in negatives)
        {
            SessionArguments.CheckStepSize(WithNegatives(baseOptions, n, epochs), "--negatives");
        }
        Dataset data = source.Load();
        foreach (int n in negatives)
        {
            SessionArguments.CheckEpochDraw(WithNegatives(baseOptions, n, epochs), data.Train.Count);
        }
        SessionArguments.CheckLastBatch(baseOptions, data.Train.Count);
        var c = CultureInfo.InvariantCulture;
        int threads = ParallelRunner.ThreadsFor(baseOptions.Trainer.Threads);

        output.WriteLine(string.Create(c, $"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}; {(LaneWidth.Floats == 0 ? "scalar kernels" : $"{LaneWidth.Floats * 32}-bit vectors")}; threads {threads}"));
        output.WriteLine(string.Create(c, $"data {data.Name}: {data.UserCount:N0} users, {data.ItemCount:N0} items, {data.Train.Count:N0} train rows; encoder {EncoderArguments.Name(baseOptions.Kind)}; loss {LossArguments.Describe(loss)}; sampler {string.Join(",", baseOptions.Sampler.Parts.Select(p => baseOptions.Sampler.Parts.Count == 1 ? SamplerOptions.KindName(p.Kind) : string.Create(c, $"{SamplerOptions.KindName(p.Kind)}:{p.Share}")))}; batch {baseOptions.Trainer.BatchSize}, dim {baseOptions.Encoder.Dim}, {epochs} timed epochs"));
        output.WriteLine();
        output.WriteLine("  negatives  s/epoch (median)   rows/s   scoring GFLOP/s   optimizer GB/s   eval K=20 s   peak MiB   alloc MiB/epoch");
        var results = new List<BenchmarkResult>();
        foreach (int n in negatives)
        {
            SessionOptions options = WithNegatives(baseOptions, n, epochs);
            BenchmarkResult r = DataArguments.NamingUsers(data, source.Path, () => TrainingBenchmark.Run(data, loss, options, epochs, cancellation));
            results.Add(r);
            output.WriteLine(string.Create(c,
                $"  {n,9} {r.MedianEpochSeconds,16:F2} {r.RowsPerSecond / 1000,7:F0}k {Rate(r.ScoringGflops),17} {Rate(r.OptimizerGBps),16} {r.EvaluationSeconds,13:F2} {r.PeakWorkingSetBytes / 1048576.0,10:F0} {r.AllocatedBytesPerEpoch / 1048576.0,17:F1}"));
            output.Flush();
        }
        output.WriteLine();
        output.WriteLine("  seconds per epoch by phase:");
        output.WriteLine("  negatives " + string.Concat(results[0].Phases.Select(p => p.Phase.PadLeft(17))));
        foreach (BenchmarkResult r in results)
        {
            output.WriteLine(string.Create(c, $"  {r.Negatives,9} ") + string.Concat(r.Phases.Select(p => p.SecondsPerEpoch.ToString("F2", c).PadLeft(17))));
        }
        PropagationResult layer = PropagationBenchmark.Run(data.Train, baseOptions.Encoder.Dim, threads);
        output.WriteLine();
        output.WriteLine(string.Create(c,
            $"  LightGCN layer A x E ({layer.Nodes:N0} nodes, {layer.NonZeros:N0} stored weights, dim {baseOptions.Encoder.Dim}): {layer.Seconds * 1e3:F2} ms, {layer.GigabytesPerSecond:F1} GB/s of indices, gathered rows and output (median of 7)"));
        // The machine's floor last, so that its buffers do not count in the peak working sets above.
        output.WriteLine();
        if (!skipMachine && !EncoderFactory.UsesMatrixFactorizationTrainer(baseOptions))
        {
            output.WriteLine("  (the machine's floors below are those of MF's trainer; not measured for this configuration)");
        }
        else if (!skipMachine)
        {
            output.WriteLine(string.Create(c, $"  FMA peak       {MachineFloor.FmaGflops(threads),8:F1} GFLOP/s"));
            output.WriteLine(string.Create(c, $"  triad          {MachineFloor.TriadGBps(threads),8:F1} GB/s"));
            double divideRate = MachineFloor.DivideSqrtRate(threads);
            output.WriteLine(string.Create(c, $"  sqrt+divide    {divideRate / 1e9,8:F2} G element-steps/s (the compute floor of dense Adam)"));
            output.WriteLine();
            WriteFloors(output, data, baseOptions.Encoder.Dim, threads, divideRate, results);
        }
        return ExitCodes.Success;
    }

    /// <summary>A rate, or "-" where the trainer has no such phase (the generic trainer's phases differ from MF's).</summary>
    private static string Rate(double value) => double.IsNaN(value) ? "-" : value.ToString("F1", CultureInfo.InvariantCulture);

    private static SessionOptions WithNegatives(SessionOptions o, int negatives, int epochs) => new()
    {
        Encoder = o.Encoder,
        Kind = o.Kind,
        SimpleX = o.SimpleX,
        LightGcn = o.LightGcn,
        L2Placement = o.L2Placement,
        EpochRows = o.EpochRows,
        Adam = o.Adam,
        Evaluation = o.Evaluation,
        SelectionK = o.SelectionK,
        Optimizer = o.Optimizer,
        Sampler = o.Sampler,
        Trainer = new TrainerOptions
        {
            Epochs = epochs,
            BatchSize = o.Trainer.BatchSize,
            Negatives = negatives,
            Dropout = o.Trainer.Dropout,
            DropoutBeforeNormalisation = o.Trainer.DropoutBeforeNormalisation,
            ExcludePositives = o.Trainer.ExcludePositives,
            Seed = o.Trainer.Seed,
            Threads = o.Trainer.Threads,
        },
    };

    /// <summary>
    /// The floors per configuration, each timed alone: dense Adam's, where every element of both tables takes every
    /// step (one sqrt and one divide each) and every item row a step reads must first take the steps it missed, which
    /// reads and writes its w, m and v (the L2 term moves idle rows at every step, through their own moments); and the
    /// scoring pass's gathered dot products.
    /// </summary>
    private static void WriteFloors(TextWriter output, Dataset data, int dim, int threads, double divideRate, IReadOnlyList<BenchmarkResult> results)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine("  floors per epoch (each timed alone on this machine): dense Adam's item rows and its sqrt/divide work, and the scoring gathers");
        output.WriteLine("  negatives   item rows read/step   their w,m,v once: ms/step      GB/s   s/epoch   sqrt+divide s/epoch   gathers s/epoch   epoch measured");
        foreach (BenchmarkResult r in results)
        {
            int rows = Math.Clamp((int)Math.Round(r.ItemRowsPerStep), 1, data.ItemCount);
            double perStep = MachineFloor.RowUpdateSecondsPerStep(data.ItemCount, dim, rows, threads);
            double gigabytes = rows * 6.0 * sizeof(float) * dim / 1e9;
            double computeSeconds = (double)(data.UserCount + data.ItemCount) * dim * r.StepsPerEpoch / divideRate;
            double gatherSeconds = r.SlotsPerEpoch / MachineFloor.GatherDotRowsPerSecond(data.ItemCount, dim, r.Negatives + 1, threads);
            output.WriteLine(string.Create(c,
                $"  {r.Negatives,9} {rows,21:N0} {perStep * 1e3,26:F2} {gigabytes / perStep,9:F1} {perStep * r.StepsPerEpoch,9:F2} {computeSeconds,21:F2} {gatherSeconds,17:F2} {r.MedianEpochSeconds,16:F2}"));
        }
    }
}
