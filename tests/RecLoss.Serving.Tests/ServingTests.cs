using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Models;
using RecLoss.Core.Serving;
using RecLoss.Core.Training;

namespace RecLoss.Serving.Tests;

/// <summary>The HTTP service end to end on ASP.NET Core's test server, over a small model trained here.</summary>
public sealed class ServingTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recloss-serve-").FullName;
    private string _modelPath = "";
    private TrainedModel _model = null!;
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    private static TrainedModel Train(int seed)
    {
        Dataset data = SyntheticData.Generate(new SyntheticDataOptions { Users = 150, Items = 120, MeanInteractions = 10, Seed = 12 });
        var options = new RecLoss.Core.Training.SessionOptions
        {
            Trainer = new TrainerOptions { Epochs = 2, BatchSize = 64, Negatives = 8, Threads = 1, Seed = (ulong)seed },
            Encoder = new() { Dim = 8 },
        };
        IRowLoss loss = MultiMarginLoss.Yelp2018;
        TrainingResult result = new TrainingSession(options).Run(data, loss);
        var header = new ModelHeader { Encoder = EncoderSpec.Of(options), Loss = LossParameters.Of(loss), Negatives = 8, Epoch = 2 };
        return TrainedModel.FromRun(data, header, result.Encoder);
    }

    public async Task InitializeAsync()
    {
        _model = Train(1);
        _modelPath = Path.Combine(_folder, "model.rlm");
        ModelFile.Save(_model, _modelPath);
        _app = ServingApp.Build(new ServeOptions { ModelPath = _modelPath, Watch = false }, b => b.WebHost.UseTestServer());
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        if ((int)expected >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task User_recommendations_equal_the_library_ranking()
    {
        JsonElement body = await Json(await _client.GetAsync("/users/7/recommendations?k=5"), HttpStatusCode.OK);
        _model.Users.TryGetIndex("7", out int user);
        Recommendations expected = new Recommender(_model).ForUser(user, new RecommendOptions { K = 5 });
        Assert.Equal(expected.Items.Select(i => _model.Items[i.Item]), body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));
        Assert.Equal(expected.Items.Select(i => i.Score), body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("score").GetSingle()));

        JsonElement all = await Json(await _client.GetAsync("/users/7/recommendations?k=1000&exclude=none"), HttpStatusCode.OK);
        Assert.Equal(_model.Items.Count, all.GetProperty("items").GetArrayLength());
        Assert.Contains("items", all.GetProperty("shortfall").GetString());
    }

    [Fact]
    public async Task A_new_user_and_similar_items()
    {
        var request = new { history = new[] { "1", "2", "3" }, k = 4 };
        JsonElement body = await Json(await _client.PostAsJsonAsync("/recommendations", request), HttpStatusCode.OK);
        string[] items = [.. body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!)];
        Assert.Equal(4, items.Length);
        Assert.Empty(items.Intersect(["1", "2", "3"]));
        float[] vector = new FoldIn(_model).UserVector([_Item("1"), _Item("2"), _Item("3")]);
        Recommendations expected = new Recommender(_model).ForVector(vector, [.. new[] { _Item("1"), _Item("2"), _Item("3") }.Order()], new RecommendOptions { K = 4 });
        Assert.Equal(expected.Items.Select(i => _model.Items[i.Item]), items);

        JsonElement similar = await Json(await _client.GetAsync("/items/5/similar?k=3"), HttpStatusCode.OK);
        Assert.Equal(3, similar.GetProperty("items").GetArrayLength());
        Assert.DoesNotContain("5", similar.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));
    }

    private int _Item(string id) => _model.Items.TryGetIndex(id, out int i) ? i : throw new KeyNotFoundException(id);

    [Theory]
    [InlineData("/users/nobody/recommendations", HttpStatusCode.NotFound, "not in the model")]
    [InlineData("/users/7/recommendations?k=0", HttpStatusCode.BadRequest, "k: '0'")]
    [InlineData("/users/7/recommendations?k=1001", HttpStatusCode.BadRequest, "from 1 to 1000")]
    [InlineData("/users/7/recommendations?k=ten", HttpStatusCode.BadRequest, "k: 'ten'")]
    [InlineData("/users/7/recommendations?exclude=all", HttpStatusCode.BadRequest, "exclude: 'all'")]
    [InlineData("/items/nothing/similar", HttpStatusCode.NotFound, "item 'nothing'")]
    [InlineData("/items/5/similar?k=-3", HttpStatusCode.BadRequest, "k: '-3'")]
    [InlineData("/no/such/route", HttpStatusCode.NotFound, "")]
    public async Task Bad_requests_get_a_problem_naming_what_is_wrong(string url, HttpStatusCode status, string detail)
    {
        JsonElement problem = await Json(await _client.GetAsync(url), status);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (detail.Length > 0)
        {
            Assert.Contains(detail, problem.GetProperty("detail").GetString());
        }
    }

    [Theory]
    [InlineData("{\"history\": [\"1\", \"2\"", "malformed body")]
    [InlineData("{\"history\": [1, 2]}", "malformed body")]
    [InlineData("{\"history\": []}", "missing history")]
    [InlineData("{}", "missing history")]
    [InlineData("{\"history\": [\"1\", \"no-such-item\"]}", "unknown item")]
    [InlineData("{\"history\": [\"1\"], \"k\": 0}", "bad k")]
    [InlineData("[1, 2, 3]", "malformed body")]
    [InlineData("", "malformed body")]
    public async Task Bad_bodies_get_a_400_problem(string json, string title)
    {
        var content = new StringContent(json, Encoding.UTF8, "application/json");
        JsonElement problem = await Json(await _client.PostAsync("/recommendations", content), HttpStatusCode.BadRequest);
        Assert.Equal(title, problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_huge_body_is_refused_not_crashed_on()
    {
        string json = "{\"history\": [" + string.Join(",", Enumerable.Repeat("\"1\"", 400_000)) + "]}";
        HttpResponseMessage response = await _client.PostAsync("/recommendations", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode is HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.BadRequest, $"{response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        string longHistory = "{\"history\": [" + string.Join(",", Enumerable.Repeat("\"1\"", Endpoints.MaxHistory + 1)) + "]}";
        JsonElement problem = await Json(await _client.PostAsync("/recommendations", new StringContent(longHistory, Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        Assert.Equal("history too long", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Health_model_and_the_openapi_document()
    {
        JsonElement health = await Json(await _client.GetAsync("/health"), HttpStatusCode.OK);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        JsonElement model = await Json(await _client.GetAsync("/model"), HttpStatusCode.OK);
        Assert.Equal("mf", model.GetProperty("encoder").GetString());
        Assert.Equal(_model.Users.Count, model.GetProperty("users").GetInt32());
        Assert.Equal("mml", model.GetProperty("loss").GetProperty("name").GetString());
        JsonElement openApi = await Json(await _client.GetAsync("/openapi/v1.json"), HttpStatusCode.OK);
        string[] paths = [.. openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name)];
        Assert.Contains("/users/{id}/recommendations", paths);
        Assert.Contains("/recommendations", paths);
        Assert.Contains("/items/{id}/similar", paths);
    }

    [Fact]
    public async Task Reload_swaps_the_model_and_a_corrupt_file_keeps_the_old_one_serving()
    {
        string before = (await _client.GetStringAsync("/users/7/recommendations?k=5"));

        // A corrupt file: refused with 409, the old model keeps answering the same.
        byte[] good = File.ReadAllBytes(_modelPath);
        File.WriteAllBytes(_modelPath, good[..(good.Length / 3)]);
        JsonElement refused = await Json(await _client.PostAsync("/admin/reload", null), HttpStatusCode.Conflict);
        Assert.Contains("truncated", refused.GetProperty("detail").GetString());
        Assert.Equal(before, await _client.GetStringAsync("/users/7/recommendations?k=5"));
        Assert.Contains("truncated", (await Json(await _client.GetAsync("/model"), HttpStatusCode.OK)).GetProperty("lastReloadError").GetString());

        // Another model: served from the reload on, under a new generation.
        TrainedModel other = Train(2);
        ModelFile.Save(other, _modelPath);
        JsonElement reloaded = await Json(await _client.PostAsync("/admin/reload", null), HttpStatusCode.OK);
        Assert.Equal(2, reloaded.GetProperty("generation").GetInt64());   // the refused reload made no generation
        JsonElement after = await Json(await _client.GetAsync("/users/7/recommendations?k=5"), HttpStatusCode.OK);
        other.Users.TryGetIndex("7", out int user);
        Recommendations expected = new Recommender(other).ForUser(user, new RecommendOptions { K = 5 });
        Assert.Equal(expected.Items.Select(i => other.Items[i.Item]), after.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));
    }

    [Fact]
    public async Task Requests_keep_being_answered_while_the_model_is_reloaded()
    {
        using var stop = new CancellationTokenSource();
        int failures = 0, answered = 0;
        Task[] clients = [.. Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                HttpResponseMessage r = await _client.GetAsync($"/users/{c * 11 % 150}/recommendations?k=10");
                Interlocked.Increment(ref answered);
                if (r.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }))];
        for (int i = 0; i < 10; i++)
        {
            await Json(await _client.PostAsync("/admin/reload", null), HttpStatusCode.OK);
        }
        stop.Cancel();
        await Task.WhenAll(clients);
        Assert.Equal(0, failures);
        Assert.True(answered > 10);
    }

    [Fact]
    public async Task Replacing_the_file_on_disk_reloads_it_when_watched()
    {
        string folder = Path.Combine(_folder, "watched");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "model.rlm");
        ModelFile.Save(_model, path);
        await using WebApplication app = ServingApp.Build(new ServeOptions { ModelPath = path, Watch = true }, b => b.WebHost.UseTestServer());
        await app.StartAsync();
        HttpClient client = app.GetTestClient();

        // A new file written beside it and moved over it, as deployments do.
        string next = Path.Combine(folder, "next.rlm");
        ModelFile.Save(Train(3), next);
        File.Move(next, path, overwrite: true);
        long generation = 1;
        for (int wait = 0; wait < 100 && generation == 1; wait++)
        {
            await Task.Delay(50);
            generation = (await Json(await client.GetAsync("/health"), HttpStatusCode.OK)).GetProperty("generation").GetInt64();
        }
        Assert.Equal(2, generation);
    }

    [Fact]
    public async Task A_history_of_every_item_is_a_400_not_a_500()
    {
        string json = "{\"history\": [" + string.Join(",", _model.Items.Ids.Select(i => $"\"{i}\"")) + "]}";
        JsonElement problem = await Json(await _client.PostAsync("/recommendations", new StringContent(json, Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        Assert.Equal("history cannot be scored", problem.GetProperty("title").GetString());
    }
}
