using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using RecLoss.Numerics;

/// <summary>
/// Does a 64-float row's start matter? A large float[]'s data starts 24 bytes past a 64-byte line on .NET 10 x64, so
/// every 256-byte row spans five cache lines instead of four and each 512-bit load straddles two. The same kernels on
/// spans cut from line-aligned buffers (FloatBuffer) at 0 or 24 bytes past the line: LightGCN's layer product (70,000 rows, 35 stored
/// weights per row, random columns) and MF's gathered scoring (1,024 rows of 38,048 items).
/// </summary>
public class AlignmentBenchmarks
{
    private const int Nodes = 70_000, Dim = 64, PerRow = 35, Items = 38_048, Gathered = 1024;
    private SparseMatrix _adjacency = null!;
    private FloatBuffer _inBuffer = new(0), _outBuffer = new(0), _tableBuffer = new(0);
    private readonly float[] _user = new float[Dim], _scores = new float[Gathered];
    private int[] _rows = [];

    [Params(0, 24)]
    public int OffsetBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Xoshiro256(3);
        var pointers = new int[Nodes + 1];
        var columns = new int[Nodes * PerRow];
        for (int r = 0; r < Nodes; r++)
        {
            pointers[r + 1] = (r + 1) * PerRow;
            for (int p = r * PerRow; p < pointers[r + 1]; p++)
            {
                columns[p] = (int)(rng.NextDouble() * Nodes);
            }
            Array.Sort(columns, r * PerRow, PerRow);
        }
        _adjacency = new SparseMatrix(Nodes, Nodes, pointers, columns, [.. Enumerable.Repeat(0.03f, columns.Length)]);
        _inBuffer = Filled(Nodes * Dim, rng);
        _outBuffer = Filled(Nodes * Dim, rng);
        _tableBuffer = Filled(Items * Dim, rng);
        _rows = [.. Enumerable.Range(0, Gathered).Select(_ => (int)(rng.NextDouble() * Items))];
        for (int d = 0; d < Dim; d++) { _user[d] = (float)rng.NextGaussian(); }
        var plain = new float[Nodes * Dim];
        GCHandle handle = GCHandle.Alloc(plain, GCHandleType.Pinned);
        Console.WriteLine($"// a new float[{plain.Length:N0}]'s data starts {(long)handle.AddrOfPinnedObject() % 64} bytes past a 64-byte line");
        handle.Free();
    }

    /// <summary>A line-aligned buffer with room to start a span OffsetBytes past its line (<see cref="Span"/>).</summary>
    private static FloatBuffer Filled(int length, Xoshiro256 rng)
    {
        var buffer = new FloatBuffer(length + FloatBuffer.Alignment / sizeof(float));
        Span<float> values = buffer.AsSpan();
        for (int i = 0; i < values.Length; i++) { values[i] = (float)rng.NextGaussian(); }
        return buffer;
    }

    private Span<float> Span(FloatBuffer buffer, int length) => buffer.AsSpan(OffsetBytes / sizeof(float), length);

    [Benchmark]
    public void LayerProduct() =>
        _adjacency.MultiplyRows(0, Nodes, Span(_inBuffer, Nodes * Dim), Dim, Span(_outBuffer, Nodes * Dim));

    [Benchmark]
    public void GatheredScores() => GatherDot.Compute(_user, Span(_tableBuffer, Items * Dim), _rows, _scores);
}
