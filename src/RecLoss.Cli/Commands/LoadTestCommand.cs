using System.Diagnostics;
using System.Globalization;
using System.Net;
using RecLoss.Core.Models;
using RecLoss.Core.Serving;
using RecLoss.Numerics;

namespace RecLoss.Cli.Commands;

/// <summary>
/// recloss loadtest: a bounded load generator for `recloss serve`, loopback only. C clients send GET
/// /users/{id}/recommendations (ids drawn from the model file) back to back, for a fixed count or time, optionally
/// with a reload every S seconds; it reports requests/s, latency percentiles and errors, and the in-process cost of
/// one user's scoring beside the machine's FMA floor.
/// </summary>
internal static class LoadTestCommand
{
    public static Verb Verb => new("loadtest", "recloss loadtest --model PATH [--url http://127.0.0.1:5000] [options]", "measure a running 'recloss serve' under load (loopback only)",
        "Stops at --requests or --duration, whichever comes first. Only loopback addresses are accepted, so it cannot be pointed at another machine.",
        [ModelArguments.Model,
         new("url", "URL", Section.Query, "the service, on a loopback address (default http://127.0.0.1:5000)"),
         new("requests", "N", Section.Query, "stop after N timed requests (default 100,000)"),
         new("duration", "S", Section.Query, "stop after S seconds, 1 to 3600 (default 30)"),
         new("concurrency", "C", Section.Query, "clients sending at once, 1 to 1024 (default 16)"),
         new("k", "N", Section.Query, $"items per request, 1 to {RecLoss.Serving.Endpoints.MaxK} (the service's limit; default 20)"),
         new("warmup", "N", Section.Query, "untimed requests first (default 2,000)"),
         new("reload-every", "S", Section.Query, "POST /admin/reload every S seconds during the timed run (default: never)")],
        Run);

    private static int Run(ArgumentReader args, VerbContext context)
    {
        string modelPath = ModelArguments.Path(args);
        string url = args.String("url", "http://127.0.0.1:5000");
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? baseUri) || baseUri.Scheme != "http")
        {
            throw new UsageException($"--url: '{ArgumentReader.Shorten(url)}' is not an http:// URL");
        }
        if (!IsLoopback(baseUri.Host))
        {
            throw new UsageException($"--url: '{baseUri.Host}' is not a loopback address; loadtest only sends to this machine (127.0.0.1, ::1 or localhost)");
        }
        int requests = args.Int("requests", 100_000, 1);
        int duration = args.Int("duration", 30, 1, 3600);
        int concurrency = args.Int("concurrency", 16, 1, 1024);
        int k = args.Int("k", 20, 1, RecLoss.Serving.Endpoints.MaxK);
        int warmup = args.Int("warmup", 2000, 0);
        double? reloadEvery = args.Has("reload-every") ? args.Double("reload-every", 1, 0.05, 3600) : null;
        args.EnsureAllUsed("loadtest");
        TrainedModel model = ModelArguments.Load(modelPath);

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = baseUri,
            Timeout = TimeSpan.FromSeconds(30),
        };
        TextWriter o = context.Output;
        try
        {
            client.GetAsync("/health").GetAwaiter().GetResult().EnsureSuccessStatusCode();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new UsageException($"--url: no service answers GET {baseUri}health ({e.Message.TrimEnd('.')}); start one with 'recloss serve --model {modelPath}'");
        }
        string[] paths = [.. Enumerable.Range(0, model.Users.Count).Select(u => $"/users/{Uri.EscapeDataString(model.Users[u])}/recommendations?k={k}")];
        if (warmup > 0)
        {
            Drive(client, paths, concurrency, warmup, TimeSpan.FromSeconds(duration), null, seed: 1);
        }
        Result result = Drive(client, paths, concurrency, requests, TimeSpan.FromSeconds(duration), reloadEvery, seed: 2);

        double[] ms = [.. result.Latencies.Select(t => t * 1000.0 / Stopwatch.Frequency).Order()];
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Count:N0} requests in {result.Seconds:F2} s from {concurrency} clients (K = {k}, {model.Users.Count:N0} users x {model.Items.Count:N0} items, dim {model.Dim}): {result.Count / result.Seconds:N0} requests/s"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"latency ms: p50 {Percentile(ms, 0.50):F2}  p90 {Percentile(ms, 0.90):F2}  p99 {Percentile(ms, 0.99):F2}  p99.9 {Percentile(ms, 0.999):F2}  max {(ms.Length > 0 ? ms[^1] : 0):F2}"));
        o.WriteLine($"errors: {result.Errors:N0}{(result.FirstError is null ? "" : $" (first: {result.FirstError})")}" +
            (reloadEvery is null ? "" : $"; reloads during the run: {result.Reloads:N0} ({result.ReloadErrors:N0} refused)"));

        (double microseconds, double compute, double memory, double megabytes) = ScoringFloor(model, k);
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"one user's scoring in process (one thread, top-{k} included): {microseconds:F1} us; floors: compute {compute:F1} us ({model.Items.Count:N0} x {model.Dim} multiply-adds at this machine's one-core FMA rate), memory {memory:F1} us ({megabytes:F1} MB of item vectors at one core's triad bandwidth; less while they stay in cache)"));
        return result.Errors > 0 ? ExitCodes.CheckFailed : ExitCodes.Success;
    }

    private static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address) && IPAddress.IsLoopback(address));

    private sealed class Result
    {
        public List<long> Latencies { get; } = [];
        public int Count, Errors, Reloads, ReloadErrors;
        public double Seconds;
        public string? FirstError;
    }

    /// <summary>C clients, each sending its next request when the last one is answered, until the count or time runs out.</summary>
    private static Result Drive(HttpClient client, string[] paths, int concurrency, int count, TimeSpan limit, double? reloadEvery, ulong seed)
    {
        var result = new Result();
        int issued = 0;
        using var stop = new CancellationTokenSource(limit);
        var clock = Stopwatch.StartNew();
        Task[] clients = [.. Enumerable.Range(0, concurrency).Select(c => Task.Run(async () =>
        {
            var rng = Xoshiro256.ForStream(seed, (ulong)c);
            var latencies = new List<long>();
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref issued) <= count)
            {
                string path = paths[rng.NextInt(paths.Length)];
                long start = Stopwatch.GetTimestamp();
                string? error = null;
                try
                {
                    using HttpResponseMessage response = await client.GetAsync(path);
                    byte[] body = await response.Content.ReadAsByteArrayAsync();
                    if (response.StatusCode != HttpStatusCode.OK || body.Length == 0)
                    {
                        error = $"{(int)response.StatusCode} for {path}";
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    error = $"{e.GetType().Name} for {path}: {e.Message}";
                }
                latencies.Add(Stopwatch.GetTimestamp() - start);
                if (error is not null)
                {
                    lock (result)
                    {
                        result.Errors++;
                        result.FirstError ??= error;
                    }
                }
            }
            lock (result)
            {
                result.Latencies.AddRange(latencies);
            }
        }))];
        Task reloads = reloadEvery is { } every ? Task.Run(async () =>
        {
            while (!Task.WaitAll(clients, TimeSpan.FromSeconds(every)))
            {
                Interlocked.Increment(ref result.Reloads);
                try
                {
                    using HttpResponseMessage r = await client.PostAsync("/admin/reload", null);
                    if (r.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref result.ReloadErrors);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    Interlocked.Increment(ref result.ReloadErrors);
                }
            }
        }) : Task.CompletedTask;
        Task.WaitAll(clients);
        result.Seconds = clock.Elapsed.TotalSeconds;
        reloads.Wait();
        result.Count = result.Latencies.Count;
        return result;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>Microseconds per user of <see cref="Recommender.ForUser"/> on one thread, and the floors of its product:
    /// the multiply-adds at one core's FMA rate, and the item vectors' bytes at one core's triad bandwidth.</summary>
    private static (double Microseconds, double Compute, double Memory, double Megabytes) ScoringFloor(TrainedModel model, int k)
    {
        var recommender = new Recommender(model);
        var options = new RecommendOptions { K = k };
        int users = Math.Min(model.Users.Count, 3000);
        for (int u = 0; u < Math.Min(users, 200); u++)
        {
            recommender.ForUser(u, options);
        }
        var clock = Stopwatch.StartNew();
        for (int u = 0; u < users; u++)
        {
            recommender.ForUser(u, options);
        }
        double microseconds = clock.Elapsed.TotalMicroseconds / users;
        double megabytes = 4.0 * model.Items.Count * model.Dim / 1e6;
        return (microseconds, 2.0 * model.Items.Count * model.Dim / (MachineFloor.FmaGflops(1) * 1e3), megabytes / MachineFloor.TriadGBps(1) * 1e3, megabytes);
    }
}
