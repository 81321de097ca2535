using System.Runtime.InteropServices;
using System.Text;
using RecLoss.Core.Data;

namespace RecLoss.Core.Models;

/// <summary>The payloads of the model file's sections: ids, seen items, vectors and parameter blocks, written and read.</summary>
public static partial class ModelFile
{
    /// <summary>The bytes <paramref name="write"/> puts through a (little-endian) binary writer: a section's payload.</summary>
    private static byte[] Payload(Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true);
        write(writer);
        writer.Flush();
        return buffer.ToArray();
    }

    private static byte[] Ids(IdIndex ids) => Payload(writer =>
    {
        writer.Write((uint)ids.Count);
        foreach (string id in ids.Ids)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(id);
            writer.Write((uint)bytes.Length);
            writer.Write(bytes);
        }
    });

    private static byte[] Seen(InteractionMatrix seen) => Payload(writer =>
    {
        writer.Write((uint)seen.UserCount);
        writer.Write((uint)seen.ItemCount);
        writer.Write((ulong)seen.Count);
        writer.Write(MemoryMarshal.AsBytes(seen.RowPointers));
        writer.Write(MemoryMarshal.AsBytes(seen.ColumnIndices));
    });

    private static byte[] Vectors(FactorModel factors) => Payload(writer =>
    {
        writer.Write((uint)factors.UserCount);
        writer.Write((uint)factors.ItemCount);
        writer.Write((uint)factors.Dim);
        writer.Write(MemoryMarshal.AsBytes(factors.UserFactors.AsSpan()));
        writer.Write(MemoryMarshal.AsBytes(factors.ItemFactors.AsSpan()));
    });

    private static byte[] Blocks(IReadOnlyList<SavedBlock> blocks) => Payload(writer =>
    {
        writer.Write((uint)blocks.Count);
        foreach (SavedBlock block in blocks)
        {
            byte[] name = Encoding.UTF8.GetBytes(block.Name);
            writer.Write((uint)name.Length);
            writer.Write(name);
            writer.Write((uint)block.Rows);
            writer.Write((uint)block.Cols);
            writer.Write(MemoryMarshal.AsBytes(block.Values.AsSpan()));
        }
    });

    private static IdIndex ReadIds(byte[] payload)
    {
        var reader = new PayloadReader(payload);
        int count = reader.Count("id count", 4);
        var ids = new string[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = reader.Utf8($"id {i}");
        }
        reader.End();
        return new IdIndex(ids);
    }

    private static InteractionMatrix ReadSeen(byte[] payload, int users, int items)
    {
        var reader = new PayloadReader(payload);
        int u = reader.Int("user count"), i = reader.Int("item count");
        if (u != users || i != items)
        {
            throw new FormatException($"the matrix is {u} x {i}, but the id maps hold {users} users and {items} items");
        }
        int nnz = reader.Count("interaction count", 4, wide: true);
        int[] rowStarts = reader.Ints(users + 1, "row starts");
        int[] columns = reader.Ints(nnz, "item indices");
        reader.End();
        if (rowStarts[0] != 0 || rowStarts[users] != nnz)
        {
            throw new FormatException($"row starts run from {rowStarts[0]} to {rowStarts[users]}, expected 0 to {nnz}");
        }
        for (int r = 0; r < users; r++)
        {
            if (rowStarts[r + 1] < rowStarts[r])
            {
                throw new FormatException($"row starts decrease at user {r} ({rowStarts[r]} then {rowStarts[r + 1]})");
            }
        }
        return new InteractionMatrix(users, items, rowStarts, columns);
    }

    private static FactorModel ReadVectors(byte[] payload, int users, int items, int headerDim)
    {
        var reader = new PayloadReader(payload);
        int u = reader.Int("user count"), i = reader.Int("item count"), dim = reader.Int("dimension");
        if (u != users || i != items)
        {
            throw new FormatException($"{u} user and {i} item vectors, but the id maps hold {users} users and {items} items");
        }
        if (dim != headerDim)
        {
            throw new FormatException($"vectors of dimension {dim}, but the header says {headerDim}");
        }
        float[] userVectors = reader.Floats((long)users * dim, "user vectors");
        float[] itemVectors = reader.Floats((long)items * dim, "item vectors");
        reader.End();
        return new FactorModel(users, items, dim, userVectors, itemVectors);
    }

    private static SavedBlock[] ReadBlocks(byte[] payload)
    {
        var reader = new PayloadReader(payload);
        int count = reader.Count("block count", 12);
        var blocks = new SavedBlock[count];
        for (int b = 0; b < count; b++)
        {
            string name = reader.Utf8($"block {b}'s name");
            int rows = reader.Int($"block '{name}' rows"), cols = reader.Int($"block '{name}' columns");
            blocks[b] = new SavedBlock(name, rows, cols, reader.Floats((long)rows * cols, $"block '{name}' values"));
        }
        reader.End();
        return blocks;
    }
}
