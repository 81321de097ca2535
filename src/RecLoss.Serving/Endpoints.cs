using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RecLoss.Core.Models;
using RecLoss.Core.Serving;

namespace RecLoss.Serving;

/// <summary>One recommended or similar item, by its original id.</summary>
public sealed record ItemScore(string Item, float Score);

/// <summary>The answer of the recommendation and similarity endpoints.</summary>
/// <param name="Shortfall">Why fewer than k items came back, or null.</param>
public sealed record RecommendationResponse(string? User, string? Item, IReadOnlyList<ItemScore> Items, string? Shortfall, long ModelGeneration);

/// <summary>The body of POST /recommendations: a new user's items.</summary>
public sealed record NewUserRequest(IReadOnlyList<string>? History, int? K, string? Exclude);

/// <summary>What GET /model says about the loaded model.</summary>
public sealed record ModelInfo(string Path, long FileBytes, long Generation, DateTimeOffset LoadedAt, string Encoder, string Score, int Dim,
    int Users, int Items, int SeenInteractions, JsonObject Loss, string DataName, string DataFingerprint, int Epoch, string Selection,
    string? Commit, DateTimeOffset Created, string NewUsers, string? LastReloadError);

[JsonSerializable(typeof(RecommendationResponse))]
[JsonSerializable(typeof(NewUserRequest))]
[JsonSerializable(typeof(ModelInfo))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(long))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ServingJson : JsonSerializerContext;

/// <summary>The HTTP routes. Every bad input is a 400 or 404 problem+json naming the parameter; none reaches a 500.</summary>
public static class Endpoints
{
    public const int MaxK = 1000;
    public const int MaxHistory = 10_000;

    public static void Map(IEndpointRouteBuilder app, ModelHost host)
    {
        app.MapGet("/health", () => Results.Ok(new Dictionary<string, object> { ["status"] = "ok", ["generation"] = host.Current.Generation }))
            .WithSummary("Liveness: 200 while a model is served.");

        app.MapGet("/model", () => Results.Ok(Describe(host)))
            .WithSummary("The loaded model: encoder, loss, sizes, data fingerprint, commit, when it was loaded.");

        app.MapGet("/users/{id}/recommendations", (string id, string? k, string? exclude) =>
        {
            ServedModel served = host.Current;
            if (!served.Model.Users.TryGetIndex(id, out int user))
            {
                return Problem(404, "unknown user", $"user '{Short(id)}' is not in the model ({served.Model.Users.Count:N0} users); POST /recommendations scores a new user from her items");
            }
            var parsed = Options(k, exclude);
            if (parsed.Error is not null)
            {
                return parsed.Error;
            }
            return Results.Ok(Response(served, id, null, served.Recommender.ForUser(user, parsed.Options!)));
        }).WithSummary("The top k items for a user of the model (k 1-1000, default 20; exclude=seen|none, default seen).")
          .ProducesProblem(400).ProducesProblem(404);

        app.MapPost("/recommendations", async (HttpRequest request) =>
        {
            ServedModel served = host.Current;
            NewUserRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync(ServingJson.Default.NewUserRequest);
            }
            catch (JsonException e)
            {
                return Problem(400, "malformed body", $"the body is not the expected JSON ({{\"history\": [item ids], \"k\": 20, \"exclude\": \"seen\"}}): {e.Message}");
            }
            catch (BadHttpRequestException e)
            {
                return e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? Problem(413, "body too large", $"the body exceeds the server's limit ({e.Message.TrimEnd('.')}); send at most {MaxHistory:N0} history items")
                    : Problem(e.StatusCode, "bad request", e.Message);
            }
            catch (InvalidOperationException e)
            {
                return Problem(400, "malformed body", $"expected a JSON body with Content-Type application/json: {e.Message}");
            }
            if (body?.History is not { Count: > 0 } history)
            {
                return Problem(400, "missing history", "the body needs \"history\": a non-empty array of item ids the new user interacted with");
            }
            if (history.Count > MaxHistory)
            {
                return Problem(400, "history too long", $"the history has {history.Count:N0} items; at most {MaxHistory:N0} are taken");
            }
            var items = new int[history.Count];
            for (int n = 0; n < history.Count; n++)
            {
                if (history[n] is null || !served.Model.Items.TryGetIndex(history[n], out items[n]))
                {
                    return Problem(400, "unknown item", $"history[{n}]: item '{Short(history[n] ?? "null")}' is not in the model ({served.Model.Items.Count:N0} items)");
                }
            }
            var parsed = Options(body.K?.ToString(CultureInfo.InvariantCulture), body.Exclude);
            if (parsed.Error is not null)
            {
                return parsed.Error;
            }
            float[] vector;
            try
            {
                vector = served.FoldIn.UserVector(items);
            }
            catch (ArgumentException e)
            {
                return Problem(400, "history cannot be scored", e.Message);
            }
            int[] excluded = parsed.Options!.ExcludeSeen ? [.. items.Distinct().Order()] : [];
            return Results.Ok(Response(served, null, null, served.Recommender.ForVector(vector, excluded, parsed.Options)));
        }).WithSummary("The top k items for a new user, from the items she interacted with (SimpleX: its aggregator; other models: a row fitted with the model's loss).")
          .Accepts<NewUserRequest>("application/json").ProducesProblem(400);

        app.MapGet("/items/{id}/similar", (string id, string? k) =>
        {
            ServedModel served = host.Current;
            if (!served.Model.Items.TryGetIndex(id, out int item))
            {
                return Problem(404, "unknown item", $"item '{Short(id)}' is not in the model ({served.Model.Items.Count:N0} items)");
            }
            var parsed = Options(k, null);
            if (parsed.Error is not null)
            {
                return parsed.Error;
            }
            return Results.Ok(Response(served, null, id, served.Recommender.SimilarItems(item, parsed.Options!.K)));
        }).WithSummary("The k items nearest to an item by the model's score.").ProducesProblem(400).ProducesProblem(404);

        app.MapPost("/admin/reload", () =>
        {
            (ServedModel model, string? error) = host.Reload("POST /admin/reload");
            return error is null
                ? Results.Ok(new Dictionary<string, object> { ["status"] = "reloaded", ["generation"] = model.Generation })
                : Problem(409, "reload refused", $"the model file could not be loaded, generation {model.Generation} keeps serving: {error}");
        }).WithSummary("Loads the model file again; a file that fails to load is refused and the old model keeps serving.").ProducesProblem(409);
    }

    /// <summary>k and exclude from the query (or body), checked; an error result names the parameter.</summary>
    private static (RecommendOptions? Options, IResult? Error) Options(string? k, string? exclude)
    {
        int count = 20;
        if (k is not null && (!int.TryParse(k, NumberStyles.Integer, CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxK))
        {
            return (null, Problem(400, "bad k", $"k: '{Short(k)}' is not an integer from 1 to {MaxK}"));
        }
        if (exclude is not (null or "seen" or "none"))
        {
            return (null, Problem(400, "bad exclude", $"exclude: '{Short(exclude)}' is not seen or none"));
        }
        return (new RecommendOptions { K = count, ExcludeSeen = exclude != "none" }, null);
    }

    private static RecommendationResponse Response(ServedModel served, string? user, string? item, Recommendations r)
    {
        var items = new ItemScore[r.Items.Count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = new ItemScore(served.Model.Items[r.Items[i].Item], r.Items[i].Score);
        }
        return new RecommendationResponse(user, item, items, r.Shortfall, served.Generation);
    }

    private static ModelInfo Describe(ModelHost host)
    {
        ServedModel s = host.Current;
        ModelHeader h = s.Model.Header;
        return new ModelInfo(s.Path, s.FileBytes, s.Generation, s.LoadedAt, h.Encoder.Name, h.Encoder.Score.ToString().ToLowerInvariant(), s.Model.Dim,
            s.Model.Users.Count, s.Model.Items.Count, s.Model.Seen.Count, (JsonObject)h.Loss.DeepClone(),
            h.DataName, h.DataFingerprint, h.Epoch, h.Selection, h.Commit, h.Created, s.FoldIn.Method, host.LastError);
    }

    internal static IResult Problem(int status, string title, string detail) => Results.Problem(detail, statusCode: status, title: title);

    private static string Short(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
