using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using RecLoss.Numerics;

/// <summary>
/// Does a 64-float row's start matter? A large float[]'s data starts 24 bytes past a 64-byte line on .NET 10 x64, so
/// every 256-byte row spans five cache lines instead of four and each 512-bit load straddles two. The same kernels on
/// spans cut from pinned buffers at 0 or 24 bytes past a line: LightGCN's layer product (70,000 rows, 35 stored
/// weights per row, random columns) and MF's gathered scoring (1,024 rows of 38,048 items).
/// </summary>
public class AlignmentBenchmarks
{
    private const int Nodes = 70_000, Dim = 64, PerRow = 35, Items = 38_048, Gathered = 1024;
    private SparseMatrix _adjacency = null!;
    private float[] _inBuffer = [], _outBuffer = [], _tableBuffer = [];
    private readonly float[] _user = new float[Dim], _scores = new float[Gathered];
    private int[] _rows = [];
    private int _inStart, _outStart, _tableStart;

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
        (_inBuffer, _inStart) = Pinned(Nodes * Dim, rng);
        (_outBuffer, _outStart) = Pinned(Nodes * Dim, rng);
        (_tableBuffer, _tableStart) = Pinned(Items * Dim, rng);
        _rows = [.. Enumerable.Range(0, Gathered).Select(_ => (int)(rng.NextDouble() * Items))];
        for (int d = 0; d < Dim; d++) { _user[d] = (float)rng.NextGaussian(); }
        var plain = new float[Nodes * Dim];
        GCHandle handle = GCHandle.Alloc(plain, GCHandleType.Pinned);
        Console.WriteLine($"// a new float[{plain.Length:N0}]'s data starts {(long)handle.AddrOfPinnedObject() % 64} bytes past a 64-byte line");
        handle.Free();
    }

    /// <summary>A pinned buffer with room to start a span OffsetBytes past a 64-byte line.</summary>
    private (float[] Buffer, int Start) Pinned(int length, Xoshiro256 rng)
    {
        float[] buffer = GC.AllocateArray<float>(length + 32, pinned: true);
        for (int i = 0; i < buffer.Length; i++) { buffer[i] = (float)rng.NextGaussian(); }
        long address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0);
        int toLine = (int)((64 - address % 64) % 64) / 4;
        return (buffer, toLine + OffsetBytes / 4);
    }

    [Benchmark]
    public void LayerProduct() =>
        _adjacency.MultiplyRows(0, Nodes, _inBuffer.AsSpan(_inStart, Nodes * Dim), Dim, _outBuffer.AsSpan(_outStart, Nodes * Dim));

    [Benchmark]
    public void GatheredScores() => GatherDot.Compute(_user, _tableBuffer.AsSpan(_tableStart, Items * Dim), _rows, _scores);
}
