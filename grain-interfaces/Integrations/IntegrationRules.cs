namespace Flowstate.Integrations;

/// <summary>Checks on integration settings, shared by the API layer (before anything changes) and the grain.</summary>
public static class IntegrationRules
{
    public const int BackfillDays = 90;
    public const int MaxSettleDays = 60;

    public static void Validate(IntegrationSettings s)
    {
        static void Require(bool ok, string message) { if (!ok) throw FlowstateException.InvalidInput(message); }
        Require(Enum.IsDefined(s.Kind), $"Unknown connector kind {(int)s.Kind}; use OPENAI, ANTHROPIC, CURSOR or GITHUB_COPILOT.");
        if (s.BaseUrl is not null)
        {
            Require(Uri.TryCreate(s.BaseUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
                    && string.IsNullOrEmpty(url.UserInfo) && string.IsNullOrEmpty(url.Query) && string.IsNullOrEmpty(url.Fragment) && url.Host.Length > 0,
                $"baseUrl must be an absolute http(s) URL without credentials, query or fragment, e.g. https://api.openai.com; got '{s.BaseUrl}'.");
        }
        Require(s.EveryMinutes is >= 1 and <= 7 * 24 * 60, "everyMinutes is between 1 and 10080 (a week).");
        Require(s.SettleDays is >= 0 and <= MaxSettleDays, $"settleDays is between 0 and {MaxSettleDays}.");
        Require(s.Kind != IntegrationKind.GithubCopilot || !string.IsNullOrWhiteSpace(s.Account),
            "A GITHUB_COPILOT connector needs account: the GitHub organization whose seats and usage it pulls.");
        Require(s.Account is null || s.Account.Length <= 200, "account is at most 200 characters.");
    }

    public static void ValidateCredential(string? credential)
    {
        if (credential is null) return;
        if (string.IsNullOrWhiteSpace(credential) || credential.Length > 4096 || credential.Any(char.IsControl))
            throw FlowstateException.InvalidInput("credential must be 1 to 4096 printable characters (the provider's admin key or token).");
    }

    /// <summary>The range of a pull: an explicit one checked, or from the oldest unsettled day (a 90-day backfill at first) to today.</summary>
    public static (DateOnly From, DateOnly To) Range(DateOnly? from, DateOnly? to, DateOnly? settledThrough, DateOnly today)
    {
        var end = to ?? today;
        var start = from ?? (settledThrough is { } s ? s.AddDays(1) : today.AddDays(-(BackfillDays - 1)));
        if (start > end && from is null && to is null) start = end;   // everything settled: re-pull today
        if (start > end) throw FlowstateException.InvalidInput($"from {start:yyyy-MM-dd} is after to {end:yyyy-MM-dd}.");
        if (end > today) throw FlowstateException.InvalidInput($"to {end:yyyy-MM-dd} is in the future; bills exist up to today ({today:yyyy-MM-dd}).");
        if (end.DayNumber - start.DayNumber >= 366) throw FlowstateException.InvalidInput("A pull covers at most 366 days; split the range.");
        return (start, end);
    }
}
