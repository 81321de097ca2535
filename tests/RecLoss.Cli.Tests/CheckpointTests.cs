using System.Diagnostics;
using System.Text.Json;
using RecLoss.Core.Models;

namespace RecLoss.Cli.Tests;

/// <summary>Runs stopped by kill -9 at arbitrary moments resume from their checkpoint and end exactly as an uninterrupted run.</summary>
public class CheckpointTests : WithTempFolder
{
    private static readonly string[] Base = ["demo", "--eval-every", "1", "--dim", "16", "--seed", "3"];
    private static readonly string[] Run = [.. Base, "--epochs", "8"];

    /// <summary>Epoch, loss and every test metric of each epoch of a run record (times left out).</summary>
    private static string[] Epochs(string folder) => [.. JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "run.json"))).RootElement
        .GetProperty("epochs").EnumerateArray().Select(e => $"{e.GetProperty("epoch")} {e.GetProperty("loss")} " +
            string.Join(";", e.GetProperty("test").EnumerateObject().Where(p => p.Name != "seconds").Select(p => $"{p.Name}={p.Value}")))];

    [Fact]
    public async Task Killed_at_random_moments_and_resumed_the_run_ends_bit_for_bit_as_an_uninterrupted_one()
    {
        string whole = Path.Combine(Folder, "whole"), killed = Path.Combine(Folder, "killed");
        var (code, _, err) = Cli.Run([.. Run, "--out", whole, "--checkpoint", Path.Combine(whole, "ckpt")]);
        Assert.True(code == 0, err);

        string dll = Path.Combine(AppContext.BaseDirectory, "recloss.dll");
        var rng = new Random(11);
        string ckpt = Path.Combine(killed, "ckpt");
        int kills = 0, resumes = 0, exit = -1;
        // Each attempt lives a little longer than the last, so the run gets through on a slow or busy machine too.
        // Once a checkpoint exists the attempts continue it with --resume, which demands one; before, --checkpoint starts it.
        for (int attempt = 0; attempt < 60 && exit != 0; attempt++)
        {
            bool resume = File.Exists(Path.Combine(ckpt, "checkpoint.rlm"));
            resumes += resume ? 1 : 0;
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])[dll, .. Run, "--out", killed, "--force", resume ? "--resume" : "--checkpoint", ckpt])
            {
                info.ArgumentList.Add(a);
            }
            using Process child = Process.Start(info)!;
            _ = child.StandardOutput.ReadToEndAsync();
            Task<string> stderr = child.StandardError.ReadToEndAsync();
            if (child.WaitForExit(300 + 150 * attempt + rng.Next(600)))
            {
                exit = child.ExitCode;
                Assert.True(exit == 0, await stderr);
                continue;
            }
            child.Kill(entireProcessTree: true);   // SIGKILL: no cleanup runs
            child.WaitForExit();
            kills++;
        }
        Assert.Equal(0, exit);
        Assert.True(kills >= 2, $"only {kills} kills landed before the run finished");
        Assert.True(resumes >= 1, $"no attempt found a checkpoint to resume ({kills} kills)");
        Assert.Equal(Epochs(whole), Epochs(killed));
        Assert.Equal(ModelFile.Load(Path.Combine(whole, "model.rlm")).Factors.UserFactors, ModelFile.Load(Path.Combine(killed, "model.rlm")).Factors.UserFactors);
        Assert.Equal(["checkpoint.rlm"], Directory.GetFiles(ckpt, "*.rlm").Select(Path.GetFileName));
    }

    [Fact]
    public void A_checkpoint_of_other_settings_or_data_is_refused_naming_the_difference()
    {
        string folder = Path.Combine(Folder, "run");
        Assert.Equal(0, Cli.Run([.. Base, "--epochs", "2", "--checkpoint", folder]).Code);
        var (code, _, err) = Cli.Run([.. Run, "--lr", "0.005", "--checkpoint", folder]);
        Assert.Equal(3, code);
        Assert.Contains("another configuration", err);
        Assert.Contains("lr: checkpoint 0.001, this run 0.005", err);
        (code, _, err) = Cli.Run([.. Run, "--dropout-before-norm", "--checkpoint", folder]);
        Assert.Equal(3, code);
        Assert.Contains("dropoutOrder: checkpoint absent, this run \"before-normalisation\"", err);
        (code, _, err) = Cli.Run([.. Run, "--data-seed", "9", "--checkpoint", folder]);
        Assert.Equal(3, code);
        Assert.Contains("other data", err);
        (code, _, err) = Cli.Run([.. Run, "--resume", Path.Combine(Folder, "empty")]);
        Assert.Equal(2, code);
        Assert.Contains("holds no checkpoint.rlm", err);

        // More epochs is another run (the last epoch is always evaluated and ends the patience count): refused.
        (code, _, err) = Cli.Run([.. Run, "--checkpoint", folder]);
        Assert.Equal(3, code);
        Assert.Contains("epochs: checkpoint 2, this run 8", err);

        // The same settings: the finished run is reported, not trained again.
        (code, string output, err) = Cli.Run([.. Base, "--epochs", "2", "--checkpoint", folder]);
        Assert.True(code == 0, err);
        Assert.Contains("finished after epoch 2", err);
        Assert.DoesNotContain("epoch   1 ", output);
        Assert.Contains("results on test", output);
    }

    [Fact]
    public async Task Serve_stops_cleanly_on_SIGTERM()
    {
        string model = Path.Combine(Folder, "m.rlm");
        Assert.Equal(0, Cli.Run([.. Base, "--epochs", "1", "--save", model]).Code);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "recloss.dll"), "serve", "--model", model, "--port", "0"])
        {
            info.ArgumentList.Add(a);
        }
        using Process server = Process.Start(info)!;
        string? first = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.StartsWith("serving", first);
        using (Process kill = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }
        bool exited = server.WaitForExit(20_000);
        if (!exited)
        {
            server.Kill(entireProcessTree: true);
        }
        Assert.True(exited, "recloss serve was still running 20 s after SIGTERM");
        Assert.Equal(0, server.ExitCode);
    }
}
