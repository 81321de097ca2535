using RecLoss.Core.Evaluation;
using RecLoss.Core.Models;
using RecLoss.Core.Optim;
using RecLoss.Core.Training;
using RecLoss.Numerics;

namespace RecLoss.Core.Tests.Models;

public sealed class ModelFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recloss-model-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(EncoderKind.MatrixFactorization)]
    [InlineData(EncoderKind.SimpleX)]
    [InlineData(EncoderKind.LightGcn)]
    public void Save_then_load_gives_the_same_model_bit_for_bit(EncoderKind kind)
    {
        (TrainedModel model, TrainingResult result, var data) = TrainedModels.Train(kind, epochs: 2);
        string path = Path.Combine(_folder, "m.rlm");
        ModelFile.Save(model, path);
        TrainedModel loaded = ModelFile.Load(path);

        Assert.Equal(model.Factors.UserFactors, loaded.Factors.UserFactors);
        Assert.Equal(model.Factors.ItemFactors, loaded.Factors.ItemFactors);
        Assert.Equal(model.Users.Ids, loaded.Users.Ids);
        Assert.Equal(model.Items.Ids, loaded.Items.Ids);
        Assert.Equal(model.Seen.RowPointers.ToArray(), loaded.Seen.RowPointers.ToArray());
        Assert.Equal(model.Seen.ColumnIndices.ToArray(), loaded.Seen.ColumnIndices.ToArray());
        Assert.Equal(model.Blocks.Select(b => (b.Name, b.Rows, b.Cols)), loaded.Blocks.Select(b => (b.Name, b.Rows, b.Cols)));
        Assert.All(model.Blocks.Zip(loaded.Blocks), p => Assert.Equal(p.First.Values, p.Second.Values));
        Assert.Equal(kind, loaded.Header.Encoder.Kind);
        Assert.Equal(model.Header.Loss.ToJsonString(), loaded.Header.Loss.ToJsonString());
        Assert.Equal(data.Fingerprint(), loaded.Header.DataFingerprint);

        // The loaded model evaluates exactly as the run's last epoch did.
        var evaluator = new Evaluator(new EvaluatorOptions(), new ParallelRunner(2));
        EvaluationResult again = evaluator.Evaluate(loaded.Factors, data.Train, data.Test!);
        Assert.Equal(result.Last.Record.Test!.Metrics, again.Metrics);
    }

    [Fact]
    public void A_damaged_file_is_refused_with_its_section_never_a_crash()
    {
        (TrainedModel model, _, _) = TrainedModels.Train(EncoderKind.MatrixFactorization, epochs: 1);
        string path = Path.Combine(_folder, "m.rlm");
        ModelFile.Save(model, path);
        byte[] good = File.ReadAllBytes(path);

        // Truncated at every section boundary and a few bytes either side of it.
        var cuts = new List<int> { 0, 1, 8, 15, 16 };
        for (long offset = 16; offset < good.Length;)
        {
            long length = BitConverter.ToInt64(good, (int)offset + 4);
            cuts.AddRange([(int)offset + 3, (int)offset + 15, (int)offset + 16, (int)(offset + 16 + length / 2), (int)(offset + 16 + length) - 1]);
            offset += 16 + length;
        }
        foreach (int cut in cuts.Where(c => c >= 0 && c < good.Length).Distinct())
        {
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Parse(good.AsSpan(0, cut), path));
            Assert.StartsWith(path + ":", e.Message);
        }

        // Random single-byte and multi-byte corruption: refused every time (a checksum, a length or a tag).
        var rng = new Xoshiro256(77);
        for (int trial = 0; trial < 400; trial++)
        {
            byte[] bad = (byte[])good.Clone();
            int flips = 1 + rng.NextInt(3);
            for (int f = 0; f < flips; f++)
            {
                // Half the flips land in the small headers and preamble, where they test the structure checks.
                int at = trial % 2 == 0 ? rng.NextInt(bad.Length) : rng.NextInt(Math.Min(bad.Length, 600));
                bad[at] ^= (byte)(1 + rng.NextInt(255));
            }
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Parse(bad, path));
            Assert.False(string.IsNullOrWhiteSpace(e.Problem));
        }

        // Extra bytes, a foreign file, a future version.
        Assert.Contains("follow the last section", Assert.Throws<ModelFileException>(() => ModelFile.Parse([.. good, 0], path)).Message);
        Assert.Contains("not a RecLoss model file", Assert.Throws<ModelFileException>(() => ModelFile.Parse("{\"hello\": 1}\n"u8.ToArray(), path)).Message);
        byte[] future = (byte[])good.Clone();
        future[8] = 9;
        Assert.Contains("format version 9", Assert.Throws<ModelFileException>(() => ModelFile.Parse(future, path)).Message);
        Assert.Contains("cannot be read", Assert.Throws<ModelFileException>(() => ModelFile.Load(Path.Combine(_folder, "missing.rlm"))).Message);
    }

    [Fact]
    public void The_header_alone_reads_as_the_whole_file_gives_it_and_a_damaged_header_is_refused()
    {
        (TrainedModel model, _, _) = TrainedModels.Train(EncoderKind.MatrixFactorization, epochs: 2);
        string path = Path.Combine(_folder, "m.rlm");
        ModelFile.Save(model, path);
        ModelHeader header = ModelFile.ReadHeader(path);
        Assert.Equal(2, header.Epoch);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(ModelFile.Load(path).Header), System.Text.Json.JsonSerializer.Serialize(header));

        byte[] good = File.ReadAllBytes(path);
        int headLength = (int)BitConverter.ToInt64(good, 20);
        string bad = Path.Combine(_folder, "bad.rlm");
        foreach (int cut in new[] { 0, 7, 16, 31, 32 + headLength / 2 })
        {
            File.WriteAllBytes(bad, good[..cut]);
            Assert.Contains("truncated", Assert.Throws<ModelFileException>(() => ModelFile.ReadHeader(bad)).Message);
        }
        byte[] flipped = (byte[])good.Clone();
        flipped[32 + headLength / 2] ^= 0x20;                    // inside the header's JSON
        File.WriteAllBytes(bad, flipped);
        Assert.Contains("checksum mismatch", Assert.Throws<ModelFileException>(() => ModelFile.ReadHeader(bad)).Message);
        File.WriteAllBytes(bad, "{\"hello\": 1}\n"u8.ToArray());
        Assert.Contains("not a RecLoss model file", Assert.Throws<ModelFileException>(() => ModelFile.ReadHeader(bad)).Message);
        Assert.Contains("cannot be read", Assert.Throws<ModelFileException>(() => ModelFile.ReadHeader(Path.Combine(_folder, "missing.rlm"))).Message);
    }

    [Fact]
    public void A_consistent_lie_inside_a_section_is_caught_by_the_cross_checks()
    {
        (TrainedModel model, _, _) = TrainedModels.Train(EncoderKind.MatrixFactorization, epochs: 1);
        // A header that claims another dimension than the vectors have: checksums are fine, the counts are not.
        var lying = new TrainedModel(model.Header with { Encoder = model.Header.Encoder with { Dim = 16 } }, model.Users, model.Items, model.Seen, model.Factors, model.Blocks);
        string path = Path.Combine(_folder, "lie.rlm");
        ModelFile.Save(lying, path);
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf("\"dim\":16"u8) + 6;
        Assert.True(at > 6);
        bytes[at] = (byte)'3';                                  // "dim":36 ...
        RecomputeChecksum(bytes, 16);
        var e = Assert.Throws<ModelFileException>(() => ModelFile.Parse(bytes, path));
        Assert.Equal("VECS", e.Section);
        Assert.Contains("the header says 36", e.Message);
    }

    [Fact]
    public void Saving_over_a_file_replaces_it_whole_and_leaves_no_temporary_file()
    {
        (TrainedModel model, _, _) = TrainedModels.Train(EncoderKind.MatrixFactorization, epochs: 1);
        string path = Path.Combine(_folder, "m.rlm");
        File.WriteAllText(path, "an older file");
        ModelFile.Save(model, path);
        Assert.Equal(model.Factors.UserFactors, ModelFile.Load(path).Factors.UserFactors);
        Assert.Equal(["m.rlm"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    /// <summary>Rewrites the CRC of the section whose header starts at <paramref name="offset"/>.</summary>
    private static void RecomputeChecksum(byte[] file, int offset)
    {
        long length = BitConverter.ToInt64(file, offset + 4);
        uint crc = System.IO.Hashing.Crc32.HashToUInt32(file.AsSpan(offset + 16, (int)length));
        BitConverter.TryWriteBytes(file.AsSpan(offset + 12), crc);
    }

    [Fact]
    public void A_header_with_a_loss_this_build_does_not_know_is_refused_at_load()
    {
        (TrainedModel model, _, _) = TrainedModels.Train(EncoderKind.MatrixFactorization, epochs: 1);
        var foreign = new TrainedModel(model.Header with { Loss = new System.Text.Json.Nodes.JsonObject { ["name"] = "from-the-future" } },
            model.Users, model.Items, model.Seen, model.Factors, model.Blocks);
        string path = Path.Combine(_folder, "future.rlm");
        ModelFile.Save(foreign, path);
        var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path));
        Assert.Equal("HEAD", e.Section);
        Assert.Contains("from-the-future", e.Message);
    }

    [Fact]
    public void An_optimizer_state_moves_between_MF_own_trainer_and_the_generic_one()
    {
        var data = TrainedModels.Data();
        var loss = TrainedModels.Loss(EncoderKind.MatrixFactorization);
        TrainingResult own = new TrainingSession(TrainedModels.Options(EncoderKind.MatrixFactorization, 1)).Run(data, loss);
        var blocks = own.Encoder.Parameters.Select(p => new SavedBlock(p.Name, p.Rows, p.Cols, p.Values.ToArray())).ToArray();
        SessionOptions generic = TrainedModels.Options(EncoderKind.MatrixFactorization, 1) with { EpochRows = EpochRows.UserUniform };
        TrainingResult next = new TrainingSession(generic).Run(data, loss, start: new TrainingStart(blocks, own.OptimizerState, 1));
        Assert.Equal(2, next.Last.Record.Epoch);
        Assert.Equal(["m/items", "m/users", "v/items", "v/users"], own.OptimizerState!.Arrays.Keys.Order());
    }
}
