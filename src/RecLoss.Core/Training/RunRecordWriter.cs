using System.Text.Json;
using RecLoss.Core.Data;
using RecLoss.Core.Evaluation;
using RecLoss.Core.Losses;

namespace RecLoss.Core.Training;

/// <summary>What the run record says about how it was made.</summary>
/// <param name="CommandLine">The arguments as given.</param>
/// <param name="DataPath">The --data path, or "generated".</param>
/// <param name="Commit">The commit the binary was built from (<see cref="BuildInfo"/>); <paramref name="Dirty"/> when tracked files differed.</param>
/// <param name="NoiseFile">The file beside run.json that lists injected noisy positives, if any.</param>
/// <param name="Segments">For a checkpointed run, which binary trained which epochs (a resumed run has several).</param>
public sealed record RunContext(IReadOnlyList<string> CommandLine, string DataPath, string? Commit, bool Dirty, string? NoiseFile,
    IReadOnlyList<RunSegment>? Segments = null);

/// <summary>Writes the run record run.json: how it was made, config, data fingerprint, per-epoch loss, metrics and seconds, final metrics.</summary>
/// <remarks>The caller writes to a temporary file and renames it, so an existing record is never left half-written.</remarks>
public static class RunRecordWriter
{
    public static void Write(Stream stream, Dataset data, IRowLoss loss, IReadOnlyDictionary<string, object?> config, TrainingResult result,
        RunContext context, IReadOnlyList<(string Name, EvaluationResult Result)>? baselines = null, InjectedPositives? noise = null)
    {
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("tool", "recloss");
            json.WriteString("commit", context.Commit);
            json.WriteBoolean("commitDirty", context.Dirty);
            if (context.Segments is not null)
            {
                json.WritePropertyName("segments");
                JsonSerializer.Serialize(json, context.Segments, Models.ModelFile.Json);
            }
            json.WriteString("version", BuildInfo.Version);
            json.WriteStartArray("commandLine");
            foreach (string arg in context.CommandLine)
            {
                json.WriteStringValue(arg);
            }
            json.WriteEndArray();
            json.WriteString("createdUtc", DateTime.UtcNow.ToString("O"));
            json.WriteString("machine", $"{Environment.MachineName}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            json.WriteString("loss", loss.Name);
            json.WriteStartObject("config");
            foreach ((string key, object? value) in config)
            {
                json.WritePropertyName(key);
                JsonSerializer.Serialize(json, value);
            }
            json.WriteEndObject();
            json.WriteStartObject("data");
            json.WriteString("name", data.Name);
            json.WriteString("path", context.DataPath == "generated" ? context.DataPath : Path.GetFullPath(context.DataPath));
            json.WriteString("fingerprint", data.Fingerprint());
            json.WriteNumber("users", data.UserCount);
            json.WriteNumber("items", data.ItemCount);
            json.WriteNumber("train", data.Train.Count);
            json.WriteNumber("validation", data.Validation?.Count ?? 0);
            json.WriteNumber("test", data.Test?.Count ?? 0);
            json.WriteStartArray("notes");
            foreach (string note in data.Report.Notes)
            {
                json.WriteStringValue(note);
            }
            json.WriteEndArray();
            if (noise is not null)
            {
                // The pairs themselves are listed in a CSV file beside the record (it can be large).
                json.WriteStartObject("noisyPositives");
                json.WriteNumber("ratio", noise.Ratio);
                json.WriteNumber("count", noise.Pairs.Count);
                json.WriteString("file", context.NoiseFile);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteStartArray("epochs");
            foreach (EpochRecord epoch in result.Epochs)
            {
                WriteEpoch(json, epoch);
            }
            json.WriteEndArray();
            if (result.Restored is { } restored)
            {
                json.WriteStartObject("restored");
                json.WriteString("selection", restored.Selection);
                json.WriteNumber("epoch", restored.Record.Epoch);
                json.WriteBoolean("stoppedEarly", result.StoppedEarly);
                json.WriteEndObject();
            }
            json.WriteStartArray("final");
            foreach (SelectedEpoch selected in result.Selections())
            {
                json.WriteStartObject();
                json.WriteString("selection", selected.Selection);
                WriteEpochBody(json, selected.Record);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (baselines is not null)
            {
                json.WriteStartObject("baselines");
                foreach ((string name, EvaluationResult r) in baselines)
                {
                    WriteEvaluation(json, name, r);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
    }

    private static void WriteEpoch(Utf8JsonWriter json, EpochRecord epoch)
    {
        json.WriteStartObject();
        WriteEpochBody(json, epoch);
        json.WriteEndObject();
    }

    private static void WriteEpochBody(Utf8JsonWriter json, EpochRecord epoch)
    {
        json.WriteNumber("epoch", epoch.Epoch);
        json.WriteNumber("loss", epoch.Loss);
        json.WriteNumber("trainSeconds", Math.Round(epoch.TrainSeconds, 3));
        if (epoch.LearningRate is { } rate)
        {
            json.WriteNumber("lr", rate);
        }
        if (epoch.Validation is not null)
        {
            WriteEvaluation(json, "validation", epoch.Validation);
        }
        if (epoch.Test is not null)
        {
            WriteEvaluation(json, "test", epoch.Test);
        }
    }

    private static void WriteEvaluation(Utf8JsonWriter json, string name, EvaluationResult result)
    {
        json.WriteStartObject(name);
        json.WriteNumber("users", result.Users);
        json.WriteNumber("seconds", Math.Round(result.Seconds, 3));
        if (result.Users == 0)
        {
            // Nothing was evaluated: no metric, rather than zeros that read as a result.
            json.WriteNull("metrics");
            json.WriteEndObject();
            return;
        }
        foreach (MetricsAtK m in result.Metrics)
        {
            json.WriteNumber($"recall@{m.K}", m.Recall);
            json.WriteNumber($"ndcg@{m.K}", m.Ndcg);
            json.WriteNumber($"precision@{m.K}", m.Precision);
            json.WriteNumber($"hitrate@{m.K}", m.HitRate);
            json.WriteNumber($"mrr@{m.K}", m.Mrr);
        }
        json.WriteEndObject();
    }
}
