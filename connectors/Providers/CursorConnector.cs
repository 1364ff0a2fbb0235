using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Flowstate.Connectors.Http;

namespace Flowstate.Connectors.Providers;

/// <summary>
/// Cursor Admin API: <c>/teams/filtered-usage-events</c> (inclusive millisecond bounds, paged by
/// <c>page</c>/<c>pageSize</c> until <c>pagination.hasNextPage</c> is false), summed per person and
/// UTC day from <c>chargedCents</c> into USAGE rows. When the range covers the current billing
/// cycle, <c>/teams/spend</c> checks that each member's events add up to their cycle spend.
/// </summary>
public sealed class CursorConnector(ProviderHttp http, TimeProvider clock) : IConnector
{
    private const string Events = "/teams/filtered-usage-events";
    private const string Spend = "/teams/spend";
    public const int PageSize = 1000;

    public ConnectorKind Kind => ConnectorKind.Cursor;
    public Uri DefaultBaseUrl { get; } = new("https://api.cursor.com");

    public async Task<PullResult> PullAsync(PullRequest request, CancellationToken ct = default)
    {
        var requests = 0;
        var totals = new RowTotals("cursor", PulledKind.Usage, request.From, request.To);
        var charged = new List<(string Email, long At, decimal Cents)>();
        var start = PullMath.Start(request.From).ToUnixTimeMilliseconds();
        var end = PullMath.Start(request.To.AddDays(1)).ToUnixTimeMilliseconds() - 1;   // bounds are inclusive
        var page = 0;
        bool more;
        do
        {
            page++;
            var body = new { startDate = start, endDate = end, page, pageSize = PageSize };
            using var json = await http.SendAsync(Kind, () => Post(Events, body, request), Events, page, ct);
            requests++;
            foreach (var e in json.Root.Get("usageEvents").Items())
            {
                var at = e.Get("timestamp").Long();
                var email = e.Get("userEmail").String().Trim().ToLowerInvariant();
                var cents = e.Get("chargedCents").Decimal();
                totals.Add(PullMath.Day(DateTimeOffset.FromUnixTimeMilliseconds(at)), email, email, null, cents / 100m, e.Opt("model")?.String());
                charged.Add((email, at, cents));
            }
            var pagination = json.Root.Get("pagination");
            more = pagination.Get("hasNextPage").Bool();
            if (more && pagination.Get("currentPage").Long() != page)
                throw json.Root.Page.Error("pagination.currentPage", $"expected page {page}, the provider answered page {pagination.Get("currentPage").Long()}");
        } while (more);

        var warnings = new List<string>();
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        if (request.To >= today) requests += await CheckCycleAsync(request, charged, warnings, ct);
        return new PullResult(totals.Rows("Cursor usage events").ToList(), [], warnings, requests);
    }

    /// <summary>Members' on-demand spend this cycle against the events pulled since the cycle began (only when the pull reaches back that far).</summary>
    private async Task<int> CheckCycleAsync(PullRequest request, List<(string Email, long At, decimal Cents)> charged, List<string> warnings, CancellationToken ct)
    {
        var requests = 0;
        var spend = new Dictionary<string, decimal>(StringComparer.Ordinal);
        long cycleStart = 0;
        var page = 0;
        long pages;
        do
        {
            page++;
            using var json = await http.SendAsync(Kind, () => Post(Spend, new { page, pageSize = 100 }, request), Spend, page, ct);
            requests++;
            cycleStart = json.Root.Get("subscriptionCycleStart").Long();
            foreach (var m in json.Root.Get("teamMemberSpend").Items())
            {
                var email = m.Get("email").String().Trim().ToLowerInvariant();
                spend[email] = spend.GetValueOrDefault(email) + m.Get("spendCents").Decimal();
            }
            pages = json.Root.Get("totalPages").Long();
        } while (page < pages);

        if (PullMath.Start(request.From).ToUnixTimeMilliseconds() > cycleStart) return requests;   // the pull does not cover the whole cycle
        var events = charged.Where(c => c.At >= cycleStart).GroupBy(c => c.Email).ToDictionary(g => g.Key, g => g.Sum(c => c.Cents), StringComparer.Ordinal);
        foreach (var email in spend.Keys.Union(events.Keys).Order(StringComparer.Ordinal))
        {
            var (billed, pulled) = (spend.GetValueOrDefault(email), events.GetValueOrDefault(email));
            if (Math.Abs(billed - pulled) >= 0.01m)
                warnings.Add($"CURSOR {Spend}: {email} spent {billed} cents this cycle, the usage events add up to {pulled} cents");
        }
        return requests;
    }

    private HttpRequestMessage Post(string path, object body, PullRequest request)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, PullMath.Url(request.BaseUrl, path))
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        // HTTP Basic with the key as the user name and an empty password.
        message.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(request.Credential + ":")));
        return message;
    }
}
