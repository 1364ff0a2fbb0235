using Flowstate.Connectors.Http;

namespace Flowstate.Connectors.Providers;

/// <summary>
/// Anthropic Admin API: the cost report (decimal strings in cents, by workspace and description)
/// as one USAGE row per day and workspace; and the Claude Code usage report (per email and day)
/// as estimates only: its cost is Anthropic's estimate and never billed money; and, where the key
/// has access, the Claude Enterprise Analytics per-user cost report (fractional cent strings, by
/// user and day) as one USAGE row per user and day with the email as subject. That report exists
/// only for Claude Enterprise organizations and only for an Analytics key: a 401/403/404 on its
/// first request means "no access", so the pull goes on without it and says so in its warnings.
/// </summary>
public sealed class AnthropicConnector(ProviderHttp http) : IConnector
{
    private const string CostReport = "/v1/organizations/cost_report";
    private const string ClaudeCode = "/v1/organizations/usage_report/claude_code";
    private const string UserCost = "/v1/organizations/analytics/user_cost_report";
    private const string DefaultWorkspace = "default-workspace";
    /// <summary>The analytics cost endpoints answer nothing before this day.</summary>
    private static readonly DateOnly AnalyticsStart = new(2026, 1, 1);
    /// <summary>A bucketed request spans at most 31 days.</summary>
    private const int AnalyticsWindowDays = 31;

    public ConnectorKind Kind => ConnectorKind.Anthropic;
    public Uri DefaultBaseUrl { get; } = new("https://api.anthropic.com");

    public async Task<PullResult> PullAsync(PullRequest request, CancellationToken ct = default)
    {
        var requests = 0;
        var totals = new RowTotals("anthropic", PulledKind.Usage, request.From, request.To);
        string? next = null;
        var page = 0;
        do
        {
            page++;
            var url = PullMath.Url(request.BaseUrl, CostReport,
                ("starting_at", $"{PullMath.Iso(request.From)}T00:00:00Z"), ("ending_at", $"{PullMath.Iso(request.To.AddDays(1))}T00:00:00Z"),
                ("bucket_width", "1d"), ("limit", "31"), ("group_by[]", "workspace_id"), ("group_by[]", "description"), ("page", next));
            using var json = await http.SendAsync(Kind, () => Get(url, request), CostReport, page, ct);
            requests++;
            foreach (var bucket in json.Root.Get("data").Items())
            {
                var day = PullMath.Day(bucket.Get("starting_at").Time());
                foreach (var result in bucket.Get("results").Items())
                {
                    var cents = result.Get("amount").DecimalString();
                    var usd = PullMath.Usd(cents / 100m, result.Get("currency").String(), request, result.Get("currency"));
                    var workspace = result.Opt("workspace_id")?.String() ?? DefaultWorkspace;
                    totals.Add(day, workspace, null, workspace, usd, result.Opt("description")?.String());
                }
            }
            next = json.Root.Get("has_more").Bool() ? json.Root.Get("next_page").String() : null;
        } while (next is not null);

        var (estimates, codeRequests) = await ClaudeCodeAsync(request, ct);
        var (userRows, warnings, userRequests) = await UserCostAsync(request, ct);
        return new PullResult([.. totals.Rows("Anthropic cost report"), .. userRows], estimates, warnings, requests + codeRequests + userRequests);
    }

    /// <summary>
    /// The Enterprise Analytics per-user cost, asked per UTC day (<c>bucket_width=1d</c>) in windows
    /// of at most 31 days, every page followed. Amounts are fractional cents after discount
    /// (<c>amount</c>) and at list price (<c>list_amount</c>). A user whose account was deleted has no
    /// email: the row then names only the user id as its account.
    /// </summary>
    private async Task<(List<PulledRow> Rows, List<string> Warnings, int Requests)> UserCostAsync(PullRequest request, CancellationToken ct)
    {
        var totals = new RowTotals("anthropic-user", PulledKind.Usage, request.From, request.To);
        var requests = 0;
        var from = request.From < AnalyticsStart ? AnalyticsStart : request.From;
        for (var start = from; start <= request.To; start = start.AddDays(AnalyticsWindowDays))
        {
            var end = start.AddDays(AnalyticsWindowDays - 1) < request.To ? start.AddDays(AnalyticsWindowDays - 1) : request.To;
            var endpoint = $"{UserCost}?starting_at={PullMath.Iso(start)}";
            string? next = null;
            var page = 0;
            do
            {
                page++;
                var url = PullMath.Url(request.BaseUrl, UserCost,
                    ("starting_at", $"{PullMath.Iso(start)}T00:00:00Z"), ("ending_at", $"{PullMath.Iso(end.AddDays(1))}T00:00:00Z"),
                    ("bucket_width", "1d"), ("group_by[]", "product"), ("limit", "1000"), ("page", next));
                JsonPage json;
                try { json = await http.SendAsync(Kind, () => Get(url, request), endpoint, page, ct); }
                catch (ConnectorException e) when (requests == 0 && e.Status is 401 or 403 or 404)
                {
                    // Only the very first request tells "no access"; later on, a refusal or a missing page fails the pull.
                    return ([], [$"ANTHROPIC {UserCost}: skipped, the key has no Enterprise Analytics access (HTTP {e.Status}); per-user cost needs a Claude Enterprise Analytics key with read:analytics"], 1);
                }
                using (json)
                {
                    requests++;
                    foreach (var row in json.Root.Get("data").Items())
                    {
                        var day = RowDay(row, start, end);
                        var actor = row.Get("actor");
                        var userId = actor.Get("user_id").String();
                        var email = actor.Opt("email_address")?.String();
                        var currency = row.Get("currency");
                        var usd = PullMath.Usd(row.Get("amount").DecimalString() / 100m, currency.String(), request, currency);
                        var list = row.Opt("list_amount") is { } l ? PullMath.Usd(l.DecimalString() / 100m, currency.String(), request, currency) : (decimal?)null;
                        var label = string.Join(" ", new[] { row.Opt("product")?.String(), row.Opt("model")?.String() }.Where(x => x is not null));
                        totals.Add(day, email ?? userId, email, userId, usd, label.Length > 0 ? label : null, list);
                    }
                    next = json.Root.Get("has_more").Bool() ? json.Root.Get("next_page").String() : null;
                }
            } while (next is not null);
        }
        return (totals.Rows("Claude Enterprise user cost").ToList(), [], requests);
    }

    /// <summary>The UTC day of a bucketed row; an unbucketed row (no <c>starting_at</c>) can only be placed when the window is one day.</summary>
    private static DateOnly RowDay(JsonNode row, DateOnly windowStart, DateOnly windowEnd)
    {
        if (row.Opt("starting_at") is { } at) return PullMath.Day(at.Time());
        if (windowStart == windowEnd) return windowStart;
        throw row.Page.Error(row.Path.Length == 0 ? "starting_at" : $"{row.Path}.starting_at", "missing: rows must be bucketed by day (bucket_width=1d)");
    }

    /// <summary>One request (and its pages) per UTC day: the report covers a single day per call.</summary>
    private async Task<(List<UsageEstimate>, int)> ClaudeCodeAsync(PullRequest request, CancellationToken ct)
    {
        var cents = new Dictionary<(string Subject, DateOnly Day), decimal>();
        var requests = 0;
        for (var day = request.From; day <= request.To; day = day.AddDays(1))
        {
            string? next = null;
            var page = 0;
            do
            {
                page++;
                var url = PullMath.Url(request.BaseUrl, ClaudeCode, ("starting_at", PullMath.Iso(day)), ("limit", "1000"), ("page", next));
                using var json = await http.SendAsync(Kind, () => Get(url, request), $"{ClaudeCode}?starting_at={PullMath.Iso(day)}", page, ct);
                requests++;
                foreach (var record in json.Root.Get("data").Items())
                {
                    var actor = record.Get("actor");
                    var subject = actor.Get("type").String() == "user_actor" ? actor.Get("email_address").String() : actor.Get("api_key_name").String();
                    var recordDay = PullMath.Day(record.Get("date").Time());
                    foreach (var model in record.Opt("model_breakdown")?.Items() ?? [])
                    {
                        var cost = model.Get("estimated_cost");
                        var usdCents = PullMath.Usd(cost.Get("amount").Decimal(), cost.Get("currency").String(), request, cost.Get("currency"));
                        cents[(subject.ToLowerInvariant(), recordDay)] = cents.GetValueOrDefault((subject.ToLowerInvariant(), recordDay)) + usdCents;
                    }
                }
                next = json.Root.Get("has_more").Bool() ? json.Root.Get("next_page").String() : null;
            } while (next is not null);
        }
        return (cents.OrderBy(c => c.Key.Day).ThenBy(c => c.Key.Subject, StringComparer.Ordinal)
            .Select(c => new UsageEstimate(c.Key.Subject, c.Key.Day, c.Value / 100m, "claude_code")).ToList(), requests);
    }

    private static HttpRequestMessage Get(Uri url, PullRequest request)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, url);
        message.Headers.Add("x-api-key", request.Credential);
        message.Headers.Add("anthropic-version", "2023-06-01");
        return message;
    }
}
