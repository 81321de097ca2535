using System.Globalization;
using RecLoss.Core.Data;
using RecLoss.Core.Encoders;
using RecLoss.Core.Losses;
using RecLoss.Core.Optim;
using RecLoss.Core.Sampling;
using RecLoss.Core.Training;

namespace RecLoss.Core.Tests;

/// <summary>Every real-valued range check in the library answers in one form, "{what} must lie in {range}; got {value}.",
/// and quotes the value as it was typed (1.5), whatever the current culture's decimal separator: the CLI prints these
/// messages as they are.</summary>
public class OutOfRangeMessageTests
{
    private static readonly InteractionMatrix s_train = InteractionMatrix.FromPairs(1, 10, [0], [3], out _);
    private static readonly Dataset s_data = SyntheticData.Generate(new SyntheticDataOptions { Users = 20, Items = 30, MeanInteractions = 5, Seed = 4 });

    private static readonly Dictionary<string, Action> s_checks = new()
    {
        ["simce gamma"] = () => _ = new SimCeLoss(-1.5),
        ["mml margin"] = () => _ = new MultiMarginLoss([1.5], [1], 1, 1),
        ["popularity alpha"] = () => _ = new PopularitySampler(s_train, -1.5),
        ["false-negative ratio"] = () => _ = new FalseNegativeSampler(new UniformSampler(10), s_train, 1.5),
        ["false-negative weight"] = () => _ = FalseNegativeSampler.Weighted(new UniformSampler(10), s_train, -1.5),
        ["sampler share"] = () => new SamplerOptions { Mixture = [new(SamplerKind.Uniform, 1.5)] }.Validate(),
        ["sampler popularity exponent"] = () => new SamplerOptions { Alpha = 10.5 }.Validate(),
        ["sampler false-negative weight"] = () => new SamplerOptions { FalseNegativeWeight = 1000.5 }.Validate(),
        ["adam learning rate"] = () => new AdamOptions { LearningRate = -1.5 }.Validate(),
        ["adam beta1"] = () => new AdamOptions { Beta1 = 1.5 }.Validate(),
        ["adam clipping"] = () => new AdamOptions { ClipNorm = -1.5 }.Validate(),
        ["dropout"] = () => new TrainerOptions { Dropout = 1.5 }.Validate(),
        ["plateau factor"] = () => new PlateauOptions { Factor = 1.5 }.Validate(),
        ["plateau least rate"] = () => new PlateauOptions { MinLearningRate = -1.5 }.Validate(),
        ["mf init"] = () => _ = new MatrixFactorization(2, 3, new MatrixFactorizationOptions { InitStd = -1.5 }, 1),
        ["simplex gamma"] = () => _ = new SimpleX(s_train, new SimpleXOptions { Gamma = 1.5 }, 1),
        ["validation ratio"] = () => Splitter.CarveValidation(s_data, 1.5, 1),
        ["noisy-positive ratio"] = () => NoisyPositives.Inject(s_data, 10.5, 1),
    };

    public static TheoryData<string, string> Cases => new()
    {
        { "simce gamma", "gamma must lie in [0, inf); got -1.5." },
        { "mml margin", "margins must lie in [-1, 1] (the range of the cosine scores they are compared with); got 1.5." },
        { "popularity alpha", "alpha must lie in [0, 10]; got -1.5." },
        { "false-negative ratio", "The false-negative ratio must lie in [0, 1]; got 1.5." },
        { "false-negative weight", "The false-negative weight must lie in [0, inf); got -1.5." },
        { "sampler share", "The share of sampler uniform must lie in (0, 1]; got 1.5." },
        { "sampler popularity exponent", "The popularity exponent must lie in [0, 10]; got 10.5." },
        { "sampler false-negative weight", "The false-negative weight must lie in [0, 1000]; got 1000.5." },
        { "adam learning rate", "The learning rate must lie in (0, inf); got -1.5." },
        { "adam beta1", "Beta1 must lie in [0, 1); got 1.5." },
        { "adam clipping", "The clipping norm must lie in [0, inf) (0 turns clipping off); got -1.5." },
        { "dropout", "Dropout must lie in [0, 1); got 1.5." },
        { "plateau factor", "The plateau factor must lie in (0, 1); got 1.5." },
        { "plateau least rate", "The plateau's least learning rate must lie in [0, inf); got -1.5." },
        { "mf init", "InitStd must lie in [0, inf); got -1.5." },
        { "simplex gamma", "Gamma must lie in [0, 1]; got 1.5." },
        { "validation ratio", "The validation ratio must lie in (0, 1); got 1.5." },
        { "noisy-positive ratio", "The noisy-positive ratio must lie in [0, 10]; got 10.5." },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Message_GivesTheRangeAndQuotesTheValueInvariantly_UnderACommaDecimalCulture(string check, string expected)
    {
        CultureInfo culture = CultureInfo.CurrentCulture;
        try
        {
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal("-1,5", (-1.5).ToString());
            string message = Assert.Throws<ArgumentOutOfRangeException>(s_checks[check]).Message;
            Assert.StartsWith(expected, message);
            Assert.DoesNotContain('\n', message);   // no "Actual value was 1,5." line in the current culture
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void EveryCheckHasItsExpectedMessage() => Assert.Equal(s_checks.Keys.Order(), Cases.Select(c => (string)c[0]).Order());

    [Fact]
    public void AFloat_IsQuotedAsAFloat() =>
        Assert.StartsWith("The batch's L2 weight must lie in [0, inf); got -0.1.",
            Assert.Throws<ArgumentOutOfRangeException>(() => ArgumentRange.Check(-0.1f, 0, double.PositiveInfinity, "The batch's L2 weight")).Message);

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void NonFiniteValues_AreRefused_EvenByAnOpenRange(double value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ArgumentRange.Check(value, double.NegativeInfinity, double.PositiveInfinity, "x"));

    [Theory]
    [InlineData(0.0, false, false, true)]
    [InlineData(0.0, true, false, false)]
    [InlineData(1.0, false, false, true)]
    [InlineData(1.0, false, true, false)]
    [InlineData(0.5, true, true, true)]
    public void ABound_IsKeptOrExcludedAsItsFlagSays(double value, bool minExclusive, bool maxExclusive, bool accepted)
    {
        Action check = () => ArgumentRange.Check(value, 0, 1, "x", minExclusive, maxExclusive);
        if (accepted)
        {
            Assert.Equal(value, ArgumentRange.Check(value, 0, 1, "x", minExclusive, maxExclusive));
        }
        else
        {
            Assert.Throws<ArgumentOutOfRangeException>(check);
        }
    }
}
