using System.Text.Json.Nodes;
using RecLoss.Core.Losses;

namespace RecLoss.Core.Tests.Losses;

/// <summary>A loss written as fields (model files, checkpoints, run records) reads back as the same loss.</summary>
public class LossParametersTests
{
    [Theory]
    [MemberData(nameof(LossPropertyTests.Names), MemberType = typeof(LossPropertyTests))]
    public void Fields_ReadBack_AsTheSameLoss(string name)
    {
        IRowLoss loss = LossPropertyTests.Create(name);
        JsonObject fields = LossParameters.Of(loss);
        IRowLoss back = LossParameters.Parse(JsonNode.Parse(fields.ToJsonString())!.AsObject());

        Assert.Equal(loss.GetType(), back.GetType());
        Assert.Equal(fields.ToJsonString(), LossParameters.Of(back).ToJsonString());
        double[] negatives = [0.4, -0.3, 0.8];
        Assert.Equal(Value(loss, 0.6, negatives), Value(back, 0.6, negatives), 12);
    }

    [Fact]
    public void Bce_AtTheReferenceWeight_WritesNoWeight_SoEarlierFilesCompareEqual()
    {
        Assert.Equal("""{"name":"bce"}""", LossParameters.Of(new BinaryCrossEntropyLoss()).ToJsonString());
        var parsed = (BinaryCrossEntropyLoss)LossParameters.Parse(new JsonObject { ["name"] = "bce" });
        Assert.Equal(1, parsed.NegativeWeight);
        Assert.Equal(0.01, ((BinaryCrossEntropyLoss)LossParameters.Parse(LossParameters.Of(new BinaryCrossEntropyLoss(0.01)))).NegativeWeight);
    }

    [Fact]
    public void Bce_NegativeWeightOutOfRange_IsRefusedNamingTheLoss()
    {
        var e = Assert.Throws<FormatException>(() => LossParameters.Parse(new JsonObject { ["name"] = "bce", ["negativeWeight"] = -1.0 }));
        Assert.Contains("loss 'bce'", e.Message);
        Assert.Contains("negative-weight must lie in [0, inf); got -1", e.Message);
    }

    private static double Value(IRowLoss loss, double positive, double[] negatives) =>
        loss.Evaluate<double>(positive, negatives, out _, new double[negatives.Length]);
}
