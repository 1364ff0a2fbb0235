using System.Globalization;
using System.Net.Http.Headers;
using Flowstate.Connectors.Http;

namespace Flowstate.Connectors.Providers;

/// <summary>
/// GitHub Copilot for an organization (<see cref="PullRequest.Account"/>): the seats (paged by
/// <c>Link</c> headers) give a SEAT row per login and month at the plan's seat fee, keeping pending
/// cancellations and last activity; each login's AI-credit usage per month (premium requests before
/// June 2026) gives a USAGE row at the net amount, keeping gross and the pooled discount. Logins
/// are subjects: they resolve to people through their aliases.
/// </summary>
public sealed class CopilotConnector(ProviderHttp http) : IConnector
{
    /// <summary>Organization billing moved from premium requests to AI credits on this day.</summary>
    public static readonly DateOnly AiCreditsSince = new(2026, 6, 1);

    public ConnectorKind Kind => ConnectorKind.GithubCopilot;
    public Uri DefaultBaseUrl { get; } = new("https://api.github.com");

    private sealed record Seat(string Login, DateOnly Created, DateOnly? CancelsOn, string? LastActivity, string Plan);

    public async Task<PullResult> PullAsync(PullRequest request, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(request.Account))
            throw new ConnectorException(Kind, "/orgs/{org}/copilot/billing/seats", 0, "account", "the GitHub organization (account) is required");
        var org = Uri.EscapeDataString(request.Account.Trim());
        var (seats, requests) = await SeatsAsync(request, org, ct);
        var rows = new List<PulledRow>();
        var warnings = new List<string>();
        foreach (var month in PullMath.Months(request.From, request.To))
        {
            var monthEnd = month.AddMonths(1).AddDays(-1);
            foreach (var s in seats.Where(s => s.Created <= monthEnd && (s.CancelsOn is null || s.CancelsOn >= month)))
                rows.Add(new PulledRow($"copilot:seat:{s.Login.ToLowerInvariant()}:{month:yyyy-MM}", s.Login, null, month, request.SeatFeeUsd, null, PulledKind.Seat,
                    $"Copilot {s.Plan} seat {month:yyyy-MM}; last activity {s.LastActivity ?? "never"}" +
                    (s.CancelsOn is { } c ? $"; pending cancellation {PullMath.Iso(c)}" : "")));

            var (endpoint, label) = month >= AiCreditsSince
                ? ($"/organizations/{org}/settings/billing/ai_credit/usage", "AI credits")
                : ($"/organizations/{org}/settings/billing/premium_request/usage", "premium requests");
            decimal usersNet = 0m;
            foreach (var s in seats.OrderBy(s => s.Login, StringComparer.Ordinal))
            {
                var usage = await UsageAsync(request, endpoint, month, s.Login, ct);
                requests++;
                usersNet += usage.Net;
                if (usage.Items == 0) continue;
                rows.Add(new PulledRow($"copilot:usage:{s.Login.ToLowerInvariant()}:{month:yyyy-MM}", s.Login, null, month, usage.Net, usage.Gross, PulledKind.Usage,
                    $"Copilot {label} {month:yyyy-MM}: {usage.Quantity} gross, {usage.DiscountQuantity} from the pooled allowance (${usage.Discount}), ${usage.Net} net"));
            }
            var orgWide = await UsageAsync(request, endpoint, month, null, ct);
            requests++;
            if (orgWide.Net != usersNet)
                warnings.Add($"GITHUB_COPILOT {endpoint} {month:yyyy-MM}: the organization's net is ${orgWide.Net}, its seats' net adds up to ${usersNet}");
        }
        return new PullResult(rows, [], warnings, requests);
    }

    private async Task<(List<Seat>, int)> SeatsAsync(PullRequest request, string org, CancellationToken ct)
    {
        var endpoint = $"/orgs/{org}/copilot/billing/seats";
        var seats = new List<Seat>();
        Uri? url = PullMath.Url(request.BaseUrl, endpoint, ("per_page", "100"), ("page", "1"));
        var page = 0;
        while (url is not null)
        {
            page++;
            var current = url;
            using var json = await http.SendAsync(Kind, () => Get(current, request), endpoint, page, ct);
            foreach (var s in json.Root.Get("seats").Items())
            {
                var created = PullMath.Day(s.Get("created_at").Time());
                var cancels = s.Opt("pending_cancellation_date") is { } p
                    ? DateOnly.TryParseExact(p.String(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
                        : throw p.Page.Error(p.Path, $"expected a date yyyy-MM-dd, got \"{p.String()}\"")
                    : (DateOnly?)null;
                var last = s.Opt("last_activity_at")?.Time();
                var editor = s.Opt("last_activity_editor")?.String();
                seats.Add(new Seat(s.Get("assignee").Get("login").String(), created, cancels,
                    last is { } l ? $"{l.UtcDateTime:yyyy-MM-dd'T'HH:mm'Z'}{(editor is null ? "" : $" ({editor})")}" : null,
                    s.Opt("plan_type")?.String() ?? "business"));
            }
            url = json.Next is { } next ? SameHost(next, request, json.Root) : null;
        }
        return (seats, page);
    }

    /// <summary>Link headers are followed only to the configured host: the credential never goes elsewhere.</summary>
    private static Uri SameHost(Uri next, PullRequest request, JsonNode at) =>
        next.IsAbsoluteUri && next.Authority.Equals(request.BaseUrl.Authority, StringComparison.OrdinalIgnoreCase) && next.Scheme == request.BaseUrl.Scheme
            ? next
            : throw at.Page.Error("Link", $"the next page points to {(next.IsAbsoluteUri ? next.Authority : "a relative URL")}, not to {request.BaseUrl.Authority}");

    private readonly record struct Usage(int Items, decimal Quantity, decimal Gross, decimal DiscountQuantity, decimal Discount, decimal Net);

    private async Task<Usage> UsageAsync(PullRequest request, string endpoint, DateOnly month, string? login, CancellationToken ct)
    {
        var url = PullMath.Url(request.BaseUrl, endpoint, ("year", month.Year.ToString(CultureInfo.InvariantCulture)),
            ("month", month.Month.ToString(CultureInfo.InvariantCulture)), ("user", login));
        using var json = await http.SendAsync(Kind, () => Get(url, request), login is null ? endpoint : $"{endpoint}?user={login}", 1, ct);
        var u = new Usage();
        foreach (var item in json.Root.Get("usageItems").Items())
            u = new Usage(u.Items + 1, u.Quantity + item.Get("grossQuantity").Decimal(), u.Gross + item.Get("grossAmount").Decimal(),
                u.DiscountQuantity + item.Get("discountQuantity").Decimal(), u.Discount + item.Get("discountAmount").Decimal(), u.Net + item.Get("netAmount").Decimal());
        return u;
    }

    private static HttpRequestMessage Get(Uri url, PullRequest request)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, url);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", request.Credential);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        message.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        message.Headers.UserAgent.Add(new ProductInfoHeaderValue("Flowstate", "1.0"));
        return message;
    }
}
