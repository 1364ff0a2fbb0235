using System.Globalization;
using Flowstate.Ingestion;
using Flowstate.Integrations;
using Flowstate.Reconciliation;
using Microsoft.Extensions.Logging;

namespace Flowstate.Demo.Sandbox;

/// <summary>
/// The demo's OpenAI, Anthropic, Cursor and Copilot bills through the real connectors: what those
/// providers' admin APIs can report (OpenAI costs per API key, Anthropic workspace costs, Cursor
/// usage events, Copilot seats) is served by a <see cref="ProviderSandbox"/> on loopback, each
/// provider gets a connector pointing at it, and one pull per provider brings the rows in. What the
/// APIs cannot report (Anthropic's per-person web usage, credits, Cursor's seats and proration) and
/// the other providers stay on ingest, as they would in a real org.
/// </summary>
public static class DemoPulls
{
    public const string CopilotOrg = "acme-eng";
    private static ProviderSandbox? _sandbox;   // lives as long as the host: the schedule pulls from it again

    private static readonly Dictionary<string, IntegrationKind> Kinds = new(StringComparer.Ordinal)
    {
        ["openai"] = IntegrationKind.OpenAi, ["anthropic"] = IntegrationKind.Anthropic,
        ["cursor"] = IntegrationKind.Cursor, ["copilot"] = IntegrationKind.GithubCopilot,
    };

    /// <summary>Serves the pullable part of the demo's bills, pulls it through the connectors, and returns the rest for ingest.</summary>
    public static async Task<IReadOnlyList<(string ProviderId, IReadOnlyList<BillingRowRequest> Rows)>> ThroughSandboxAsync(
        IGrainFactory grains, string orgId, DemoDataset demo, ILogger logger, CancellationToken ct)
    {
        var (data, kept) = Split(demo.BillingPulls);
        _sandbox = await ProviderSandbox.StartAsync(data);
        logger.LogInformation("Provider sandbox (OpenAI, Anthropic, Cursor, Copilot admin APIs) at {Url}", _sandbox.BaseUrl);
        foreach (var (providerId, kind) in Kinds.Where(k => demo.Providers.Any(p => p.Id == k.Key)))
        {
            ct.ThrowIfCancellationRequested();
            var credential = kind switch
            {
                IntegrationKind.OpenAi => data.OpenAiKey, IntegrationKind.Anthropic => data.AnthropicKey,
                IntegrationKind.Cursor => data.CursorKey, _ => data.GitHubToken,
            };
            var integration = grains.GetGrain<IIntegrationGrain>(GrainKeys.Join(orgId, providerId));
            await integration.ConfigureAsync(new IntegrationSettings(kind, _sandbox.BaseUrl.ToString().TrimEnd('/'),
                kind == IntegrationKind.GithubCopilot ? CopilotOrg : null, 60, 3), credential);
            var run = await integration.PullAsync(null, null);
            logger.LogInformation("Demo pull of {Provider}: {Status}, {Rows} rows{Error}", providerId, run.Status, run.RowsCreated + run.RowsUpdated,
                run.Error is null ? "" : ": " + run.Error);
        }
        return kept;
    }

    /// <summary>The demo's bills split into what the four APIs serve (as sandbox data) and what stays on ingest.</summary>
    public static (SandboxData Data, List<(string ProviderId, IReadOnlyList<BillingRowRequest> Rows)> Kept) Split(
        IReadOnlyList<(string ProviderId, IReadOnlyList<BillingRowRequest> Rows)> pulls)
    {
        var data = new SandboxData { CopilotOrg = CopilotOrg };
        var kept = new List<(string, IReadOnlyList<BillingRowRequest>)>();
        foreach (var (providerId, rows) in pulls)
        {
            var rest = new List<BillingRowRequest>();
            foreach (var r in rows)
                if (!Serve(providerId, r, data)) rest.Add(r);
            if (rest.Count > 0) kept.Add((providerId, rest));
        }
        data.CopilotSeats = data.CopilotSeats.GroupBy(s => s.Login, StringComparer.Ordinal)
            .Select(g => g.OrderBy(s => s.CreatedAt).First() with { PendingCancellation = g.Max(s => s.PendingCancellation) }).ToList();
        return (data, kept);
    }

    private static bool Serve(string providerId, BillingRowRequest r, SandboxData data)
    {
        if (r.UsageDate is not { } day || r.TotalCostUsd is not { } total) return false;
        var amount = total.ToString(CultureInfo.InvariantCulture);
        switch (providerId)
        {
            case "openai" when r.Kind == BillingRowKind.Usage:
                var key = r.Account ?? "key_" + (r.Subject ?? "unassigned").Split('@')[0].Replace('.', '_');
                data.OpenAiCosts.Add(new OpenAiCost(day, "proj_demo", key, r.Description ?? "usage", amount));
                if (r.Subject is not null && data.OpenAiKeys.All(k => k.Id != key)) data.OpenAiKeys.Add(new OpenAiKey("proj_demo", key, r.Subject));
                return true;
            case "anthropic" when r.Kind == BillingRowKind.Usage && r.Account is not null:
                data.AnthropicCosts.Add(new AnthropicCost(day, r.Account, r.Description ?? "usage", $"\"{(total * 100m).ToString(CultureInfo.InvariantCulture)}\""));
                return true;
            case "cursor" when r.Kind == BillingRowKind.Usage && r.Subject is not null:
                var noon = new DateTimeOffset(day.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero).ToUnixTimeMilliseconds();
                data.CursorEvents.Add(new CursorEvent(noon + data.CursorEvents.Count % 1000, r.Subject, "claude-4.5-sonnet", (total * 100m).ToString(CultureInfo.InvariantCulture)));
                return true;
            case "copilot" when r.Kind == BillingRowKind.Seat && r.Subject is not null:
                var month = new DateOnly(day.Year, day.Month, 1);
                data.CopilotSeats.Add(new CopilotSeat(r.Subject, new DateTimeOffset(month.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
                    month.AddMonths(1).AddDays(-1), null, "enterprise"));
                return true;
            default:
                return false;
        }
    }
}
