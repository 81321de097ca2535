using System.Diagnostics;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Optim;
using RecLoss.Numerics;

namespace RecLoss.Core.Training;

/// <summary>One LightGCN layer, <c>A E</c> over the whole graph: seconds (median of the runs) and the traffic it needs.</summary>
/// <param name="Bytes">Indices and weights (8 bytes per stored value), one gathered dim-float row per stored value, and the output.</param>
public sealed record PropagationResult(int Nodes, long NonZeros, double Seconds, double Bytes)
{
    public double GigabytesPerSecond => Bytes / Seconds / 1e9;
}

public static class PropagationBenchmark
{
    public static PropagationResult Run(InteractionMatrix train, int dim, int threads, int runs = 7)
    {
        SparseMatrix a = LightGcn.NormalizedAdjacency(train);
        var input = new float[(long)a.Rows * dim];
        var output = new float[input.Length];
        var rng = new Xoshiro256(1);
        for (int k = 0; k < input.Length; k++)
        {
            input[k] = (float)rng.NextGaussian();
        }
        var runner = new ParallelRunner(threads);
        var seconds = new double[runs];
        for (int r = -1; r < runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            runner.For(a.Rows, 256, (first, end) => a.MultiplyRows(first, end, input, dim, output));
            if (r >= 0)
            {
                seconds[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
        }
        Array.Sort(seconds);
        double bytes = a.NonZeros * (8.0 + 4.0 * dim) + 4.0 * a.Rows * dim;
        return new PropagationResult(a.Rows, a.NonZeros, seconds[runs / 2], bytes);
    }
}
