using System.Globalization;

namespace RecLoss.Cli;

/// <summary>A command-line mistake: the message says which option, what was found and what was expected.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The options System.CommandLine parsed for one verb, read by name with RecLoss's own checks (option, value found,
/// range expected). Every option given must be read, or <see cref="EnsureAllUsed"/> reports it: an option that a run
/// would ignore is refused, not dropped.
/// </summary>
public sealed class ArgumentReader
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <param name="given">The options given, by name without dashes; a flag's value is null.</param>
    public ArgumentReader(IEnumerable<KeyValuePair<string, string?>> given)
    {
        foreach ((string name, string? value) in given)
        {
            _values[name] = value;
        }
    }

    /// <summary>Arguments that are not options (a verb such as experiment takes an action and a file).</summary>
    public IReadOnlyList<string> Positionals { get; init; } = [];

    public bool Has(string name)
    {
        _used.Add(name);
        return _values.ContainsKey(name);
    }

    public bool Flag(string name) => Has(name);

    public string? String(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? v) ? v : null;
    }

    public string String(string name, string fallback) => String(name) ?? fallback;

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value))
        {
            throw new UsageException($"--{name}: '{Shorten(text)}' is not an integer (expected {RangeText(min, max)})");
        }
        if (value < min || value > max)
        {
            throw new UsageException($"--{name}: {value} is out of range (expected {RangeText(min, max)})");
        }
        return (int)value;
    }

    public double Double(string name, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool minExclusive = false)
    {
        string? text = String(name);
        if (text is null)
        {
            return fallback;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new UsageException($"--{name}: '{Shorten(text)}' is not a finite number");
        }
        if (value < min || value > max || (minExclusive && value == min))
        {
            throw new UsageException($"--{name}: {text} is out of range (expected {RangeText(min, max, minExclusive)})");
        }
        return value;
    }

    public double[]? DoubleList(string name)
    {
        string? text = String(name);
        if (text is null)
        {
            return null;
        }
        return text.Split(',').Select(part =>
        {
            if (!double.TryParse(part.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            {
                throw new UsageException($"--{name}: '{part}' is not a finite number (expected a comma-separated list such as 0.6,0.7)");
            }
            return v;
        }).ToArray();
    }

    public int[]? IntList(string name, int min, int max)
    {
        string? text = String(name);
        if (text is null)
        {
            return null;
        }
        return text.Split(',').Select(part =>
        {
            if (!long.TryParse(part.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v))
            {
                throw new UsageException($"--{name}: '{Shorten(part)}' is not an integer (expected a comma-separated list such as 10,20)");
            }
            if (v < min || v > max)
            {
                throw new UsageException($"--{name}: {v} is out of range (expected {RangeText(min, max)})");
            }
            return (int)v;
        }).ToArray();
    }

    /// <summary>Throws for any option that was given but never asked for.</summary>
    public void EnsureAllUsed(string command)
    {
        string[] unknown = _values.Keys.Where(k => !_used.Contains(k)).ToArray();
        if (unknown.Length > 0)
        {
            throw new UsageException($"{string.Join(", ", unknown.Select(u => "--" + u))} {(unknown.Length == 1 ? "does" : "do")} not apply to this '{command}' run (see 'recloss {command} --help')");
        }
    }

    /// <summary>A value as quoted in a message: at most 40 characters, control characters as \xNN.</summary>
    internal static string Shorten(string text)
    {
        string shown = text.Length <= 40 ? text : text[..37] + "...";
        return shown.Any(char.IsControl) ? string.Concat(shown.Select(c => char.IsControl(c) ? $"\\x{(int)c:X2}" : c.ToString())) : shown;
    }

    private static string RangeText(double min, double max, bool minExclusive = false)
    {
        string lo = double.IsNegativeInfinity(min) ? "" : $"{(minExclusive ? ">" : ">=")} {min.ToString(CultureInfo.InvariantCulture)}";
        string hi = double.IsPositiveInfinity(max) ? "" : $"<= {max.ToString("#,0.##########", CultureInfo.InvariantCulture)}";
        return string.Join(" and ", new[] { lo, hi }.Where(s => s.Length > 0));
    }
}
