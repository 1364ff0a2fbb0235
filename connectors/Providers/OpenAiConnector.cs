using System.Net.Http.Headers;
using Flowstate.Connectors.Http;

namespace Flowstate.Connectors.Providers;

/// <summary>
/// OpenAI Admin API: <c>/v1/organization/costs</c> grouped by project, API key and line item,
/// summed into one USAGE row per day and API key (or project, for cost without a key). Each
/// key's owner comes from its project's API keys, so the row names a person's email.
/// </summary>
public sealed class OpenAiConnector(ProviderHttp http) : IConnector
{
    private const string Costs = "/v1/organization/costs";

    public ConnectorKind Kind => ConnectorKind.OpenAi;
    public Uri DefaultBaseUrl { get; } = new("https://api.openai.com");

    public async Task<PullResult> PullAsync(PullRequest request, CancellationToken ct = default)
    {
        var requests = 0;
        var items = new List<(DateOnly Day, string? Project, string? Key, string? LineItem, decimal Usd)>();
        string? next = null;
        var page = 0;
        do
        {
            page++;
            var url = PullMath.Url(request.BaseUrl, Costs,
                ("start_time", PullMath.Unix(request.From)), ("end_time", PullMath.Unix(request.To.AddDays(1))),
                ("bucket_width", "1d"), ("limit", "31"),
                ("group_by", "project_id"), ("group_by", "line_item"), ("group_by", "api_key_id"), ("page", next));
            using var json = await http.SendAsync(Kind, () => Get(url, request), Costs, page, ct);
            requests++;
            var root = json.Root;
            foreach (var bucket in root.Get("data").Items())
            {
                // The first bucket starts at the requested time, not at midnight: its day is the UTC day it starts in.
                var day = PullMath.Day(DateTimeOffset.FromUnixTimeSeconds(bucket.Get("start_time").Long()));
                foreach (var result in bucket.Get("results").Items())
                {
                    var amount = result.Get("amount");
                    var usd = PullMath.Usd(amount.Get("value").Decimal(), amount.Get("currency").String(), request, amount.Get("currency"));
                    items.Add((day, result.Opt("project_id")?.String(), result.Opt("api_key_id")?.String(), result.Opt("line_item")?.String(), usd));
                }
            }
            next = root.Get("has_more").Bool() ? root.Get("next_page").String() : null;
        } while (next is not null);

        var (owners, ownerRequests) = await OwnersAsync(request, items.Where(i => i.Key is not null).Select(i => i.Project).OfType<string>().Distinct().ToList(), ct);
        requests += ownerRequests;

        var totals = new RowTotals("openai", PulledKind.Usage, request.From, request.To);
        foreach (var i in items)
        {
            var account = i.Key ?? i.Project ?? "organization";
            totals.Add(i.Day, account, i.Key is null ? null : owners.GetValueOrDefault(i.Key), account, i.Usd, i.LineItem);
        }
        return new PullResult(totals.Rows("OpenAI costs").ToList(), [], [], requests);
    }

    /// <summary>API key id → owner email, from the API keys of the projects that have costs (service-account keys have none).</summary>
    private async Task<(Dictionary<string, string> Owners, int Requests)> OwnersAsync(PullRequest request, IReadOnlyList<string> projects, CancellationToken ct)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var requests = 0;
        foreach (var project in projects.Order(StringComparer.Ordinal))
        {
            var endpoint = $"/v1/organization/projects/{Uri.EscapeDataString(project)}/api_keys";
            string? after = null;
            var page = 0;
            do
            {
                page++;
                var url = PullMath.Url(request.BaseUrl, endpoint, ("limit", "100"), ("after", after));
                using var json = await http.SendAsync(Kind, () => Get(url, request), endpoint, page, ct);
                requests++;
                foreach (var key in json.Root.Get("data").Items())
                {
                    var email = key.Opt("owner") is { } owner && owner.Opt("type")?.String() == "user" ? owner.Get("user").Opt("email")?.String() : null;
                    if (email is not null) owners[key.Get("id").String()] = email;
                }
                after = json.Root.Get("has_more").Bool() ? json.Root.Get("last_id").String() : null;
            } while (after is not null);
        }
        return (owners, requests);
    }

    private static HttpRequestMessage Get(Uri url, PullRequest request)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, url);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", request.Credential);
        return message;
    }
}
