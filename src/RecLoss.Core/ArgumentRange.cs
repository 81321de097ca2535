using System.Globalization;

namespace RecLoss.Core;

/// <summary>The one range check for real-valued options and constructor arguments, so that every such message has one
/// form: "{label} must lie in [min, max] (why); got {value}." The numbers are written invariantly: the CLI prints these
/// messages as they are, and a comma-decimal culture would otherwise answer "got 1,5" to a typed 1.5. Public so that a
/// loss or sampler written outside this library checks its options the same way.</summary>
public static class ArgumentRange
{
    /// <summary>Returns <paramref name="value"/> when it is finite and within the range; a bound is excluded when its flag
    /// says so, and <see cref="double.PositiveInfinity"/> as <paramref name="max"/> means no upper bound ("inf)").</summary>
    /// <param name="label">How the message names the value, e.g. "margin" or "The learning rate".</param>
    /// <param name="why">A reason for the range, given in brackets after it.</param>
    /// <param name="parameter">The exception's parameter name; the label when not given.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN, infinite or outside the range.</exception>
    public static double Check(double value, double min, double max, string label,
        bool minExclusive = false, bool maxExclusive = false, string? why = null, string? parameter = null) =>
        Within(value, min, max, minExclusive, maxExclusive) ? value
            : throw Refusal(value.ToString(CultureInfo.InvariantCulture), min, max, label, minExclusive, maxExclusive, why, parameter);

    /// <summary><see cref="Check(double, double, double, string, bool, bool, string?, string?)"/> for a float, quoted as a
    /// float (-0.1, not its double -0.10000000149011612).</summary>
    public static float Check(float value, double min, double max, string label,
        bool minExclusive = false, bool maxExclusive = false, string? why = null, string? parameter = null) =>
        Within(value, min, max, minExclusive, maxExclusive) ? value
            : throw Refusal(value.ToString(CultureInfo.InvariantCulture), min, max, label, minExclusive, maxExclusive, why, parameter);

    private static bool Within(double value, double min, double max, bool minExclusive, bool maxExclusive) =>
        double.IsFinite(value) && (minExclusive ? value > min : value >= min) && (maxExclusive ? value < max : value <= max);

    // No ActualValue: .NET would add it to Message as a second line in the current culture ("Actual value was 1,5.").
    private static ArgumentOutOfRangeException Refusal(string value, double min, double max, string label,
        bool minExclusive, bool maxExclusive, string? why, string? parameter)
    {
        string upper = double.IsPositiveInfinity(max) || max >= double.MaxValue ? "inf)" : Format(max) + (maxExclusive ? ")" : "]");
        string range = (minExclusive ? "(" : "[") + Format(min) + ", " + upper;
        return new ArgumentOutOfRangeException(parameter ?? label, $"{label} must lie in {range}{(why is null ? "" : $" ({why})")}; got {value}.");
    }

    private static string Format(double x) => x.ToString(CultureInfo.InvariantCulture);
}
