namespace RecLoss.Cli;

/// <summary>Options that belong to some losses or encoders only: given with another, they are refused naming their owners.</summary>
internal static class OwnedOptions
{
    /// <param name="kind">"loss" or "encoder": the option that chose <paramref name="chosen"/>.</param>
    public static void RefuseForeign(ArgumentReader args, IEnumerable<(string Name, string[] Options)> catalog, string chosen, string kind)
    {
        var entries = catalog.ToArray();
        string[] own = entries.First(e => e.Name == chosen).Options;
        foreach (string option in entries.SelectMany(e => e.Options).Distinct().Except(own))
        {
            if (args.Has(option))
            {
                string owners = string.Join(", ", entries.Where(e => e.Options.Contains(option)).Select(e => e.Name));
                throw new UsageException($"--{option} does not apply to --{kind} {chosen} (it is an option of {owners})");
            }
        }
    }
}
