using System.Text.Json.Nodes;

namespace RecLoss.Core.Losses;

/// <summary>A loss as named fields ({"name": "mml", "margins": [...], ...}) for run records and model files, and back.</summary>
public static class LossParameters
{
    public static JsonObject Of(IRowLoss loss)
    {
        var fields = new JsonObject { ["name"] = loss.Name };
        switch (loss)
        {
            case MultiMarginLoss m:
                AddMargins(fields, m.Margins, m.MarginWeights, m.PositiveWeight, m.NegativeWeight);
                break;
            case CosineContrastiveLoss c:
                fields["margin"] = c.Margin;
                fields["negativeWeight"] = c.NegativeWeight;
                break;
            case PairwiseHingeLoss h:
                fields["margin"] = h.Margin;
                break;
            case ContrastiveLoss c:
                fields["margin"] = c.Margin;
                break;
            case TripletLoss t:
                fields["margin"] = t.Margin;
                break;
            case SampledSoftmaxLoss x:
                fields["temperature"] = x.Temperature;
                break;
            case SoftmaxLoss x:
                fields["temperature"] = x.Temperature;
                break;
            case BilateralSoftmaxLoss b:
                fields["form"] = Kebab(b.Form.ToString());
                fields["temperature"] = b.PositiveTemperature;
                fields["temperatureNegative"] = b.NegativeTemperature;
                fields["poolPositives"] = b.PoolPositives;
                break;
            case SimCeLoss x:
                fields["gamma"] = x.Gamma;
                break;
            case BinaryCrossEntropyLoss b when b.NegativeWeight != BinaryCrossEntropyLoss.Defaults.NegativeWeight:   // w = 1 left out: files from before w compare equal
                fields["negativeWeight"] = b.NegativeWeight;
                break;
            case GeneralizedContrastiveLoss g:
                fields["positiveTerm"] = Kebab(g.PositiveTerm.ToString());
                fields["negativeTerm"] = Kebab(g.NegativeTerm.ToString());
                fields["activation"] = Kebab(g.Activation.ToString());
                fields["aggregation"] = Kebab(g.Aggregation.ToString());
                AddMargins(fields, g.Margins, g.MarginWeights, g.PositiveWeight, g.NegativeWeight);
                break;
        }
        return fields;
    }

    /// <summary>The loss the fields describe.</summary>
    /// <exception cref="FormatException">A field is missing or malformed, or the name is not a loss; the message names it.</exception>
    public static IRowLoss Parse(JsonObject fields)
    {
        string name = Text(fields, "name");
        try
        {
            return name switch
            {
                "mml" => new MultiMarginLoss(List(fields, "margins"), List(fields, "marginWeights"), Number(fields, "positiveWeight"), Number(fields, "negativeWeight")),
                "ccl" => new CosineContrastiveLoss(Number(fields, "margin"), Number(fields, "negativeWeight")),
                "bpr" => new BprLoss(),
                "bce" => new BinaryCrossEntropyLoss(fields.ContainsKey("negativeWeight") ? Number(fields, "negativeWeight") : BinaryCrossEntropyLoss.Defaults.NegativeWeight),
                "mse" => new MeanSquaredErrorLoss(),
                "hinge" => new PairwiseHingeLoss(Number(fields, "margin")),
                "contrastive" => new ContrastiveLoss(Number(fields, "margin")),
                "triplet" => new TripletLoss(Number(fields, "margin")),
                "ssm" => new SampledSoftmaxLoss(Number(fields, "temperature")),
                "sl" => new SoftmaxLoss(Number(fields, "temperature")),
                "bsl" => new BilateralSoftmaxLoss(Number(fields, "temperature"), Number(fields, "temperatureNegative"), Choice<BslForm>(fields, "form"),
                    fields["poolPositives"]?.GetValue<bool>() ?? false),
                "simce" => new SimCeLoss(Number(fields, "gamma")),
                "generalized" => new GeneralizedContrastiveLoss(Choice<PositiveTerm>(fields, "positiveTerm"), Choice<NegativeTerm>(fields, "negativeTerm"),
                    Choice<Activation>(fields, "activation"), Choice<Aggregation>(fields, "aggregation"), List(fields, "margins"), List(fields, "marginWeights"),
                    Number(fields, "positiveWeight"), Number(fields, "negativeWeight")),
                _ => throw new FormatException($"loss '{name}' is not a loss this build knows"),
            };
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new FormatException($"loss '{name}': {e.Message}");
        }
    }

    /// <summary>PascalCase to kebab-case (HalfSquaredRelu to half-squared-relu), as the command line writes choices.</summary>
    public static string Kebab(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    private static void AddMargins(JsonObject fields, IReadOnlyList<double> margins, IReadOnlyList<double> weights, double positiveWeight, double negativeWeight)
    {
        fields["margins"] = new JsonArray([.. margins.Select(m => (JsonNode?)m)]);
        fields["marginWeights"] = new JsonArray([.. weights.Select(w => (JsonNode?)w)]);
        fields["positiveWeight"] = positiveWeight;
        fields["negativeWeight"] = negativeWeight;
    }

    private static string Text(JsonObject fields, string key) =>
        fields[key] is JsonValue v && v.TryGetValue(out string? s) ? s : throw new FormatException($"loss field '{key}' is missing or not a string");

    private static double Number(JsonObject fields, string key) =>
        fields[key] is JsonValue v && v.TryGetValue(out double d) ? d : throw new FormatException($"loss field '{key}' is missing or not a number");

    private static double[] List(JsonObject fields, string key) =>
        fields[key] is JsonArray a && a.All(n => n is JsonValue v && v.TryGetValue(out double _))
            ? [.. a.Select(n => n!.GetValue<double>())]
            : throw new FormatException($"loss field '{key}' is missing or not a list of numbers");

    private static TEnum Choice<TEnum>(JsonObject fields, string key)
        where TEnum : struct, Enum
    {
        string text = Text(fields, key);
        foreach (TEnum value in Enum.GetValues<TEnum>())
        {
            if (Kebab(value.ToString()) == text)
            {
                return value;
            }
        }
        throw new FormatException($"loss field '{key}': '{text}' is not one of {string.Join(", ", Enum.GetValues<TEnum>().Select(v => Kebab(v.ToString())))}");
    }
}
