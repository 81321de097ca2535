using System.Globalization;
using System.Text;

namespace RecLoss.Cli;

/// <summary>One entry of `recloss losses` or `recloss encoders`: name and formula, source, and the entry's own options.</summary>
internal static class CatalogText
{
    public static void Append(StringBuilder text, string name, string formula, string source, IReadOnlyCollection<string> options, int width = 12)
    {
        string pad = new(' ', width);
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"  {name.PadRight(width)} {formula}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  {pad} {source}");
        if (options.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {pad} options: {string.Join(" ", options.Select(o => "--" + o))}");
        }
    }
}
