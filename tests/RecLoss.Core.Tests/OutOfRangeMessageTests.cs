using System.Globalization;
using RecLoss.Core.Data;
using RecLoss.Core.Losses;
using RecLoss.Core.Sampling;

namespace RecLoss.Core.Tests;

/// <summary>An out-of-range parameter's message quotes the value as it was typed (1.5), whatever the current culture's
/// decimal separator: the CLI prints these messages as they are.</summary>
public class OutOfRangeMessageTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "simce", "gamma must lie in [0, inf); got -1.5." },
        { "popularity", "alpha must lie in [0, 10]; got -1.5." },
        { "false-negative-ratio", "The false-negative ratio must lie in [0, 1]; got 1.5." },
        { "false-negative-weight", "The false-negative weight must be finite and >= 0; got -1.5." },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Message_QuotesTheValueInvariantly_UnderACommaDecimalCulture(string what, string expected)
    {
        InteractionMatrix train = InteractionMatrix.FromPairs(1, 10, [0], [3], out _);
        Action create = what switch
        {
            "simce" => () => _ = new SimCeLoss(-1.5),
            "popularity" => () => _ = new PopularitySampler(train, -1.5),
            "false-negative-ratio" => () => _ = new FalseNegativeSampler(new UniformSampler(10), train, 1.5),
            _ => () => _ = FalseNegativeSampler.Weighted(new UniformSampler(10), train, -1.5),
        };
        CultureInfo culture = CultureInfo.CurrentCulture;
        try
        {
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal("-1,5", (-1.5).ToString());
            Assert.Contains(expected, Assert.Throws<ArgumentOutOfRangeException>(create).Message);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }
}
