namespace RecLoss.Cli;

/// <summary>An exception's message as a user reads it: its first line, without .NET's " (Parameter 'x')" suffix.</summary>
internal static class Messages
{
    public static string Of(Exception e)
    {
        string message = e.Message.Split('\n')[0].Trim();
        int parameter = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return parameter < 0 ? message : message[..parameter];
    }
}
