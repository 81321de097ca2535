using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RecLoss.Core.Data;
using RecLoss.Core.Losses;

namespace RecLoss.Core.Models;

/// <summary>
/// Saves and loads a <see cref="TrainedModel"/> as one self-describing binary file (.rlm).
/// </summary>
/// <remarks>
/// <para>Format version 1. Every integer and float is little-endian; floats are IEEE float32.</para>
/// <code>
/// preamble   8 bytes  magic 89 52 4C 4D 0D 0A 1A 0A  ("\x89RLM\r\n\x1A\n": catches text-mode transfers, as PNG's)
///            u32      format version (1)
///            u32      section count (6, or 7 with OPTM)
/// section    4 bytes  tag, ASCII
///            u64      payload length in bytes
///            u32      CRC-32 (IEEE 802.3) of the payload
///            payload
/// sections, in this order:
///   HEAD  UTF-8 JSON of <see cref="ModelHeader"/>: encoder and its settings, loss, data fingerprint, commit, config
///   USER  u32 count, then per user:  u32 byte length, UTF-8 id      (index order)
///   ITEM  u32 count, then per item:  u32 byte length, UTF-8 id
///   SEEN  u32 users, u32 items, u64 nnz, (users + 1) x i32 row starts, nnz x i32 items (CSR, rows sorted, distinct)
///   VECS  u32 users, u32 items, u32 dim, users x dim f32, items x dim f32 (the final scoring vectors)
///   BLKS  u32 count, then per block: u32 byte length, UTF-8 name, u32 rows, u32 cols, rows x cols f32
///   OPTM  optional: the optimizer state (<see cref="OptimizerState"/>) to train on exactly where training stopped
/// </code>
/// <para>A file is written to a temporary name beside the target and renamed, so a reader never sees half a file.
/// The reader checks each section's length against what is left of the file before reading it (no allocation
/// beyond the file's size), its checksum, and every count against the others; any mismatch is a
/// <see cref="ModelFileException"/> naming the section, what was expected and what was found.</para>
/// </remarks>
public static partial class ModelFile
{
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'R', (byte)'L', (byte)'M', 0x0D, 0x0A, 0x1A, 0x0A];

    private const int PreambleBytes = 16, SectionHeaderBytes = 16;

    private static readonly string[] s_required = ["HEAD", "USER", "ITEM", "SEEN", "VECS", "BLKS"];

    private const string OptimizerTag = "OPTM";

    internal static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>Writes the model (and optionally the optimizer state) to <paramref name="path"/> through a temporary file.</summary>
    public static void Save(TrainedModel model, string path, OptimizerState? optimizer = null)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Model files are written on little-endian machines only.");
        }
        AtomicFile.Write(path, stream =>
        {
            var sections = new List<(string Tag, byte[] Payload)>
            {
                ("HEAD", JsonSerializer.SerializeToUtf8Bytes(model.Header, Json)),
                ("USER", Ids(model.Users)),
                ("ITEM", Ids(model.Items)),
                ("SEEN", Seen(model.Seen)),
                ("VECS", Vectors(model.Factors)),
                ("BLKS", Blocks(model.Blocks)),
            };
            if (optimizer is not null)
            {
                sections.Add((OptimizerTag, optimizer.ToBytes()));
            }
            Span<byte> preamble = stackalloc byte[PreambleBytes];
            Magic.CopyTo(preamble);
            BinaryPrimitives.WriteUInt32LittleEndian(preamble[8..], FormatVersion);
            BinaryPrimitives.WriteUInt32LittleEndian(preamble[12..], (uint)sections.Count);
            stream.Write(preamble);
            Span<byte> header = stackalloc byte[SectionHeaderBytes];
            foreach ((string tag, byte[] payload) in sections)
            {
                Encoding.ASCII.GetBytes(tag, header);
                BinaryPrimitives.WriteUInt64LittleEndian(header[4..], (ulong)payload.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(header[12..], Crc32.HashToUInt32(payload));
                stream.Write(header);
                stream.Write(payload);
            }
        });
    }

    /// <summary>Reads a model file; a damaged or foreign file is a <see cref="ModelFileException"/>.</summary>
    public static TrainedModel Load(string path) => LoadWithOptimizer(path).Model;

    /// <summary>Reads a model file and, when it holds one, the optimizer state.</summary>
    public static (TrainedModel Model, OptimizerState? Optimizer) LoadWithOptimizer(string path)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException(path, "", $"cannot be read: {e.Message}");
        }
        return Parse(file, path);
    }

    /// <summary>Reads only the header (the first section) of a model file: what it holds and, for a checkpoint, the
    /// epoch, without reading the parameters. Checked as <see cref="Load"/> checks it (magic, version, tag, length, CRC).</summary>
    public static ModelHeader ReadHeader(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            Span<byte> start = stackalloc byte[PreambleBytes + SectionHeaderBytes];
            int read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
            CheckPreamble(start[..Math.Min(read, PreambleBytes)], path);
            CheckSectionCount(BinaryPrimitives.ReadUInt32LittleEndian(start[12..]), path);
            (_, ulong length, uint stored) = SectionHeader(path, "HEAD", start[PreambleBytes..read], PreambleBytes, stream.Length);
            if (length > MaxHeaderBytes)
            {
                throw new ModelFileException(path, "HEAD", $"declares {length:N0} bytes; a header is JSON of a few kilobytes (at most {MaxHeaderBytes:N0} read)");
            }
            byte[] payload = new byte[length];
            stream.ReadExactly(payload);
            CheckCrc(path, "HEAD", payload, stored);
            return Section(path, "HEAD", () => Checked(JsonSerializer.Deserialize<ModelHeader>(payload, Json)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ModelFileException(path, "", $"cannot be read: {e.Message}");
        }
    }

    private const int MaxHeaderBytes = 16 << 20;

    /// <summary>Parses a model file's bytes; <paramref name="path"/> only names it in errors.</summary>
    public static (TrainedModel Model, OptimizerState? Optimizer) Parse(ReadOnlySpan<byte> file, string path)
    {
        CheckPreamble(file, path);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(file[12..]);
        CheckSectionCount(count, path);
        var payloads = new Dictionary<string, byte[]>();
        long offset = PreambleBytes;
        for (int s = 0; s < count; s++)
        {
            string expected = s < s_required.Length ? s_required[s] : OptimizerTag;
            (string tag, ulong length, uint stored) = SectionHeader(path, expected, file[(int)offset..Math.Min(file.Length, (int)offset + SectionHeaderBytes)], offset, file.Length);
            offset += SectionHeaderBytes;
            byte[] payload = file.Slice((int)offset, (int)length).ToArray();
            CheckCrc(path, tag, payload, stored);
            payloads[tag] = payload;
            offset += (long)length;
        }
        if (offset != file.Length)
        {
            throw new ModelFileException(path, "", $"{file.Length - offset:N0} bytes follow the last section (at byte {offset}); expected the file to end there");
        }
        return Build(payloads, path);
    }

    /// <summary>The 16-byte header of the section at byte <paramref name="at"/> of a file of <paramref name="fileLength"/>
    /// bytes (<paramref name="header"/>, shorter when the file ends inside it): the tag expected there, and a payload
    /// length that fits what follows.</summary>
    private static (string Tag, ulong Length, uint Crc) SectionHeader(string path, string expected, ReadOnlySpan<byte> header, long at, long fileLength)
    {
        if (header.Length < SectionHeaderBytes)
        {
            throw new ModelFileException(path, expected, $"truncated: the file ends at byte {fileLength}, inside or before this section's 16-byte header at byte {at}");
        }
        string tag = Tag(header[..4]);
        if (tag != expected)
        {
            throw new ModelFileException(path, expected, $"found section '{tag}' at byte {at} in its place (sections run {string.Join(", ", s_required)}[, {OptimizerTag}])");
        }
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header[4..]);
        long remaining = fileLength - at - SectionHeaderBytes;
        if (length > (ulong)remaining)
        {
            throw new ModelFileException(path, tag, $"truncated: declares {length:N0} bytes, but only {remaining:N0} remain");
        }
        return (tag, length, BinaryPrimitives.ReadUInt32LittleEndian(header[12..]));
    }

    private static void CheckCrc(string path, string tag, byte[] payload, uint stored)
    {
        uint computed = Crc32.HashToUInt32(payload);
        if (computed != stored)
        {
            throw new ModelFileException(path, tag, $"checksum mismatch (stored {stored:x8}, computed {computed:x8}): the file is corrupted");
        }
    }

    /// <summary>The magic and the format version; <paramref name="file"/> is the file or at least its preamble.</summary>
    private static void CheckPreamble(ReadOnlySpan<byte> file, string path)
    {
        if (file.Length < PreambleBytes || !file[..Magic.Length].SequenceEqual(Magic))
        {
            throw new ModelFileException(path, "", file.Length >= Magic.Length && !file[..Magic.Length].SequenceEqual(Magic)
                ? $"not a RecLoss model file (it starts with {Convert.ToHexString(file[..Magic.Length])}, expected {Convert.ToHexString(Magic)})"
                : $"truncated: {file.Length} bytes, shorter than the {PreambleBytes}-byte preamble of a model file");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(file[8..]);
        if (version != FormatVersion)
        {
            throw new ModelFileException(path, "", $"format version {version}; this build of recloss reads version {FormatVersion}");
        }
    }

    private static void CheckSectionCount(uint count, string path)
    {
        if (count != s_required.Length && count != s_required.Length + 1)
        {
            throw new ModelFileException(path, "", $"the preamble says {count} sections, expected {s_required.Length} or {s_required.Length + 1}");
        }
    }

    private static (TrainedModel, OptimizerState?) Build(Dictionary<string, byte[]> payloads, string path)
    {
        ModelHeader header = Section(path, "HEAD", () => Checked(JsonSerializer.Deserialize<ModelHeader>(payloads["HEAD"], Json)));
        IdIndex users = Section(path, "USER", () => ReadIds(payloads["USER"]));
        IdIndex items = Section(path, "ITEM", () => ReadIds(payloads["ITEM"]));
        InteractionMatrix seen = Section(path, "SEEN", () => ReadSeen(payloads["SEEN"], users.Count, items.Count));
        FactorModel factors = Section(path, "VECS", () => ReadVectors(payloads["VECS"], users.Count, items.Count, header.Encoder.Dim));
        SavedBlock[] blocks = Section(path, "BLKS", () => ReadBlocks(payloads["BLKS"]));
        OptimizerState? optimizer = payloads.TryGetValue(OptimizerTag, out byte[]? o) ? Section(path, OptimizerTag, () => OptimizerState.FromBytes(o)) : null;
        TrainedModel model = Section(path, "", () => new TrainedModel(header, users, items, seen, factors, blocks));
        return (model, optimizer);
    }

    /// <summary>A header whose required parts are there and whose loss this build knows (a file from a newer build may
    /// name another).</summary>
    private static ModelHeader Checked(ModelHeader? header)
    {
        if (header is null || header.Encoder is null || header.Loss is null || header.Config is null)
        {
            throw new FormatException("the header lacks its encoder, loss or config");
        }
        if (header.Encoder.Dim < 1 || header.Encoder.Kind == Training.EncoderKind.SimpleX && header.Encoder.SimpleX is null)
        {
            throw new FormatException($"the header's encoder settings are incomplete (dimension {header.Encoder.Dim})");
        }
        LossParameters.Parse(header.Loss);
        return header;
    }

    /// <summary>Runs a section's parser, turning its complaint into a <see cref="ModelFileException"/> for that section.</summary>
    private static T Section<T>(string path, string tag, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            throw new ModelFileException(path, tag, e.Message);
        }
    }

    private static string Tag(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return Convert.ToHexString(bytes);
            }
        }
        return Encoding.ASCII.GetString(bytes);
    }
}
