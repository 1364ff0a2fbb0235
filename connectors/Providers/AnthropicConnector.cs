using Flowstate.Connectors.Http;

namespace Flowstate.Connectors.Providers;

/// <summary>
/// Anthropic Admin API: the cost report (decimal strings in cents, by workspace and description)
/// as one USAGE row per day and workspace; and the Claude Code usage report (per email and day)
/// as estimates only: its cost is Anthropic's estimate and never billed money.
/// </summary>
public sealed class AnthropicConnector(ProviderHttp http) : IConnector
{
    private const string CostReport = "/v1/organizations/cost_report";
    private const string ClaudeCode = "/v1/organizations/usage_report/claude_code";
    private const string DefaultWorkspace = "default-workspace";

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
        return new PullResult(totals.Rows("Anthropic cost report").ToList(), estimates, [], requests + codeRequests);
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
