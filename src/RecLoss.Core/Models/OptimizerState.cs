using System.Runtime.InteropServices;
using System.Text;

namespace RecLoss.Core.Models;

/// <summary>
/// What an optimizer needs to continue exactly where it stopped: named arrays (Adam's moments per block) and the number
/// of steps and epochs taken. The replay's per-row counters and per-step scalars are not saved: every row is caught up
/// before a save, so a resumed replay starts with every row current and nothing left to replay. Saved as a model file's
/// OPTM section: u32 epochs, u64 steps, u32 array count, then per array: u32 name length, UTF-8 name, u32 kind
/// (0 float32, 1 float64, 2 int32), u64 length, the values.
/// </summary>
public sealed class OptimizerState
{
    public OptimizerState(int epochs, long steps, IReadOnlyDictionary<string, Array> arrays)
    {
        Epochs = epochs;
        Steps = steps;
        Arrays = arrays;
    }

    /// <summary>Epochs completed when the state was taken.</summary>
    public int Epochs { get; }

    public long Steps { get; }

    /// <summary>float[], double[] or int[] by name.</summary>
    public IReadOnlyDictionary<string, Array> Arrays { get; }

    public T[] Get<T>(string name) =>
        Arrays.TryGetValue(name, out Array? a) && a is T[] values ? values : throw new FormatException($"optimizer array '{name}' of {typeof(T).Name} is missing");

    internal byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        var writer = new BinaryWriter(buffer);
        writer.Write((uint)Epochs);
        writer.Write((ulong)Steps);
        writer.Write((uint)Arrays.Count);
        foreach ((string name, Array values) in Arrays.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            byte[] bytes = Encoding.UTF8.GetBytes(name);
            writer.Write((uint)bytes.Length);
            writer.Write(bytes);
            uint kind = values switch
            {
                float[] => 0u,
                double[] => 1u,
                int[] => 2u,
                _ => throw new NotSupportedException($"optimizer array '{name}' is {values.GetType().Name}"),
            };
            writer.Write(kind);
            writer.Write((ulong)values.Length);
            writer.Write(values switch
            {
                float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
                double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
                _ => MemoryMarshal.AsBytes(((int[])values).AsSpan()),
            });
        }
        writer.Flush();
        return buffer.ToArray();
    }

    internal static OptimizerState FromBytes(byte[] payload)
    {
        var reader = new PayloadReader(payload);
        int epochs = reader.Int("epochs");
        long steps = reader.Long("steps");
        int count = reader.Count("array count", 16);
        var arrays = new Dictionary<string, Array>(StringComparer.Ordinal);
        for (int a = 0; a < count; a++)
        {
            string name = reader.Utf8($"array {a}'s name");
            int kind = reader.Int($"array '{name}' kind");
            long length = reader.Long($"array '{name}' length");
            arrays[name] = kind switch
            {
                0 => reader.Floats(length, $"array '{name}'"),
                1 => reader.Doubles(length, $"array '{name}'"),
                2 => reader.Ints(length, $"array '{name}'"),
                _ => throw new FormatException($"array '{name}': kind {kind}, expected 0 (float32), 1 (float64) or 2 (int32)"),
            };
        }
        reader.End();
        return new OptimizerState(epochs, steps, arrays);
    }
}
