using System.Diagnostics;
using System.Globalization;
using Flowstate.Connectors;
using Flowstate.Demo.Sandbox;

namespace Flowstate.Tests.Connectors;

/// <summary>
/// Each connector against the provider sandbox on loopback (a real HTTP listener): paging, the
/// providers' quirks, exact decimal sums per person or account and day, and idempotent re-pulls.
/// </summary>
public sealed class ConnectorTests
{
    private static readonly DateOnly Sep14 = new(2026, 9, 14);

    private static DateOnly D(int day) => Sep14.AddDays(day);
    private static long Ms(DateOnly day, int hour = 0, int minute = 0, int ms = 0) =>
        new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, minute)), TimeSpan.Zero).ToUnixTimeMilliseconds() + ms;

    [Fact]
    public async Task OpenAi_CostsOverSeveralPages_OneRowPerKeyAndDay_WithOwners()
    {
        var data = new SandboxData
        {
            BucketsPerPage = 2,                       // 6 days → 3 pages
            OpenAiFirstBucketOffsetSeconds = 660,     // the first bucket starts at 00:11, not at midnight
            OpenAiCosts =
            [
                new(D(0), "proj_a", "key_priya", "gpt-4.1-2025-04-14, input", "1.8342105"),
                new(D(0), "proj_a", "key_priya", "gpt-4.1-2025-04-14, output", "2.41216"),
                new(D(0), "proj_a", "key_ci", "gpt-4.1-mini-2025-04-14, input", "0.0463"),
                new(D(3), "proj_a", "key_priya", "gpt-4.1-2025-04-14, input", "0.8958740000000000"),
                new(D(3), "proj_b", null, "gpt-image-1, image", "0.04"),
                new(D(5), "proj_b", "key_marco", "o3, output", "12.000000000000001"),
            ],
            OpenAiKeys = [new("proj_a", "key_priya", "priya.nair@example.com"), new("proj_a", "key_ci", null), new("proj_b", "key_marco", "marco.silva@example.com")],
        };
        await using var h = await ConnectorHarness.StartAsync(data);

        var result = await h.PullAsync(ConnectorKind.OpenAi, D(0), D(5));

        Assert.Equal(3, h.Sandbox.Requests["/v1/organization/costs"]);
        var rows = result.Rows.ToDictionary(r => r.ExternalId);
        Assert.Equal(5, rows.Count);                  // days 1, 2 and 4 are empty
        Assert.Equal(4.2463705m, rows["openai:key_priya:2026-09-14"].AmountUsd);
        Assert.Equal("priya.nair@example.com", rows["openai:key_priya:2026-09-14"].Subject);
        Assert.Equal("key_priya", rows["openai:key_priya:2026-09-14"].Account);
        Assert.Equal(0.0463m, rows["openai:key_ci:2026-09-14"].AmountUsd);
        Assert.Null(rows["openai:key_ci:2026-09-14"].Subject);        // a service account's key names no person
        Assert.Equal(0.8958740000000000m, rows["openai:key_priya:2026-09-17"].AmountUsd);
        Assert.Equal("proj_b", rows["openai:proj_b:2026-09-17"].Account);   // cost without a key stays on its project
        Assert.Equal(12.000000000000001m, rows["openai:key_marco:2026-09-19"].AmountUsd);
        Assert.All(result.Rows, r => Assert.Equal(PulledKind.Usage, r.Kind));

        var again = await h.PullAsync(ConnectorKind.OpenAi, D(0), D(5));
        Assert.Equal(result.Rows, again.Rows);        // a re-pull yields the very same rows
    }

    [Fact]
    public async Task Anthropic_CentStrings_BecomeExactDollars_AndClaudeCodeIsOnlyAnEstimate()
    {
        var data = new SandboxData
        {
            BucketsPerPage = 1,
            AnthropicCosts =
            [
                new(D(0), "wrkspc_01", "Claude Sonnet 4.5 Usage - Input Tokens", "\"412.7385\""),
                new(D(0), "wrkspc_01", "Claude Sonnet 4.5 Usage - Output Tokens", "\"1096.2150\""),
                new(D(0), null, "Claude Sonnet 4.5 Usage - Cache Write (5m)", "\"153.9000\""),
                new(D(2), "wrkspc_01", "Web Search Usage", "\"0.0001\""),
            ],
            ClaudeCode = [new(D(0), "priya.nair@example.com", "claude-sonnet-4-5-20250929", 1697), new(D(2), "priya.nair@example.com", "claude-haiku-4-5", 31)],
        };
        await using var h = await ConnectorHarness.StartAsync(data);

        var result = await h.PullAsync(ConnectorKind.Anthropic, D(0), D(2));

        Assert.Equal(3, h.Sandbox.Requests["/v1/organizations/cost_report"]);   // one bucket per page
        var rows = result.Rows.ToDictionary(r => r.ExternalId);
        Assert.Equal(15.089535m, rows["anthropic:wrkspc_01:2026-09-14"].AmountUsd);
        Assert.Equal(1.539m, rows["anthropic:default-workspace:2026-09-14"].AmountUsd);
        Assert.Equal(0.000001m, rows["anthropic:wrkspc_01:2026-09-16"].AmountUsd);
        Assert.Equal(3, rows.Count);
        Assert.All(result.Rows, r => Assert.Null(r.Subject));
        // Claude Code costs are estimates: evidence per person and day, never rows.
        Assert.Equal([new UsageEstimate("priya.nair@example.com", D(0), 16.97m, "claude_code"), new UsageEstimate("priya.nair@example.com", D(2), 0.31m, "claude_code")],
            result.Estimates);
        Assert.Equal(3, h.Sandbox.Requests["/v1/organizations/usage_report/claude_code"]);   // one per day
    }

    [Fact]
    public async Task Anthropic_EnterpriseUserCost_OneRowPerUserAndDay_ExactDollars_OverPagesAndWindows()
    {
        var data = new SandboxData
        {
            AnthropicUserCostsPerPage = 2,
            AnthropicUserCosts =
            [
                new(D(0), "user_priya", "Priya.Nair@example.com", "claude_code", "\"41873.2290\"", "\"46525.8100\""),
                new(D(0), "user_priya", "Priya.Nair@example.com", "chat", "\"792.1080\"", "\"880.1200\""),
                new(D(0), "user_marco", "marco.silva@example.com", "cowork", "\"2808.0000\"", "\"3120.0000\""),
                new(D(2), "user_marco", "marco.silva@example.com", "claude_code", "\"0.0007\"", "\"0.0008\""),
                new(D(2), "user_jan", null, "chat", "\"137.4930\"", "\"152.7700\""),           // a deleted account: no email left
                new(D(33), "user_priya", "Priya.Nair@example.com", "chat", "\"1\"", "\"1\""),     // in the second 31-day window
                new(D(35), "user_priya", "Priya.Nair@example.com", "chat", "\"5\"", "\"5\""),     // after the pulled range
            ],
        };
        await using var h = await ConnectorHarness.StartAsync(data);

        var result = await h.PullAsync(ConnectorKind.Anthropic, D(0), D(33));

        var rows = result.Rows.Where(r => r.ExternalId.StartsWith("anthropic-user:", StringComparison.Ordinal)).ToDictionary(r => r.ExternalId);
        Assert.Equal(5, rows.Count);
        var priya = rows["anthropic-user:priya.nair@example.com:2026-09-14"];
        Assert.Equal((426.65337m, 474.0593m), (priya.AmountUsd, priya.ListAmountUsd));
        Assert.Equal(("Priya.Nair@example.com", "user_priya", PulledKind.Usage), (priya.Subject, priya.Account, priya.Kind));
        Assert.Equal("Claude Enterprise user cost: 2 items (chat; claude_code)", priya.Description);
        Assert.Equal(28.08m, rows["anthropic-user:marco.silva@example.com:2026-09-14"].AmountUsd);
        Assert.Equal(0.000007m, rows["anthropic-user:marco.silva@example.com:2026-09-16"].AmountUsd);
        var jan = rows["anthropic-user:user_jan:2026-09-16"];
        Assert.Equal((null, "user_jan", 1.37493m), (jan.Subject, jan.Account, jan.AmountUsd));
        Assert.Equal(0.01m, rows["anthropic-user:priya.nair@example.com:2026-10-17"].AmountUsd);
        Assert.Empty(result.Warnings);
        // Window 1 (31 days) holds 5 rows at 2 a page → 3 pages; window 2 (3 days) holds 1 → 1 page.
        Assert.Equal(4, h.Sandbox.Requests["/v1/organizations/analytics/user_cost_report"]);

        var again = await h.PullAsync(ConnectorKind.Anthropic, D(0), D(33));
        Assert.Equal(result.Rows, again.Rows);
    }

    [Fact]
    public async Task Anthropic_UserCostFixture_ServedVerbatim_SumsPerUserForTheDay()
    {
        await using var h = await ConnectorHarness.StartAsync(new SandboxData());
        var fixture = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "providers", "anthropic_analytics_user_cost_report.json"));
        h.Sandbox.Fail(new SandboxFault("/v1/organizations/analytics/user_cost_report", null, 1, 200, fixture));

        // The fixture's rows are unbucketed (starting_at null): they can be placed only on a one-day pull.
        var result = await h.PullAsync(ConnectorKind.Anthropic, D(0), D(0));

        var rows = result.Rows.ToDictionary(r => r.ExternalId);
        Assert.Equal(538.29243m, rows["anthropic-user:priya.nair@example.com:2026-09-14"].AmountUsd);   // (41873.2290 + 11163.9060 + 792.1080) ¢
        Assert.Equal(598.1027m, rows["anthropic-user:priya.nair@example.com:2026-09-14"].ListAmountUsd);
        Assert.Equal(210.8745m, rows["anthropic-user:marco.silva@example.com:2026-09-14"].AmountUsd);
        Assert.Equal(1.37493m, rows["anthropic-user:jan.kowalski@example.com:2026-09-14"].AmountUsd);   // left the org, email kept
        Assert.Equal(3, rows.Count);

        h.Sandbox.Fail(new SandboxFault("/v1/organizations/analytics/user_cost_report", null, 1, 200, fixture));
        var e = await Assert.ThrowsAsync<ConnectorException>(() => h.PullAsync(ConnectorKind.Anthropic, D(0), D(1)));
        Assert.Equal("ANTHROPIC /v1/organizations/analytics/user_cost_report?starting_at=2026-09-14 page 1 field data[0].starting_at: missing: rows must be bucketed by day (bucket_width=1d)", e.Message);
    }

    [Theory]
    [InlineData(403)]
    [InlineData(404)]
    public async Task Anthropic_NoEnterpriseAnalyticsAccess_PullGoesOn_AndWarns(int status)
    {
        var data = new SandboxData { AnthropicCosts = [new(D(0), "wrkspc_01", "Input Tokens", "\"250\"")], AnthropicAnalyticsStatus = status };
        await using var h = await ConnectorHarness.StartAsync(data);

        var result = await h.PullAsync(ConnectorKind.Anthropic, D(0), D(40));

        Assert.Equal(2.5m, Assert.Single(result.Rows).AmountUsd);
        Assert.Equal($"ANTHROPIC /v1/organizations/analytics/user_cost_report: skipped, the key has no Enterprise Analytics access (HTTP {status}); per-user cost needs a Claude Enterprise Analytics key with read:analytics",
            Assert.Single(result.Warnings));
        Assert.Equal(1, h.Sandbox.Requests["/v1/organizations/analytics/user_cost_report"]);   // asked once, not per window, not retried
    }

    [Fact]
    public async Task Anthropic_UserCostPageMissingMidRun_FailsThePull()
    {
        var data = new SandboxData
        {
            AnthropicUserCostsPerPage = 1,
            AnthropicUserCosts = [new(D(0), "u1", "a@example.com", "chat", "\"1\"", "\"1\""), new(D(0), "u2", "b@example.com", "chat", "\"2\"", "\"2\"")],
        };
        await using var h = await ConnectorHarness.StartAsync(data);
        h.Sandbox.Fail(new SandboxFault("/v1/organizations/analytics/user_cost_report", 2, 10, 404, """{"type":"error"}"""));

        var e = await Assert.ThrowsAsync<ConnectorException>(() => h.PullAsync(ConnectorKind.Anthropic, D(0), D(0)));

        Assert.Equal("ANTHROPIC /v1/organizations/analytics/user_cost_report?starting_at=2026-09-14 page 2: page missing (HTTP 404)", e.Message);
    }

    [Fact]
    public async Task Cursor_EventsOverSeveralPages_SummedPerPersonAndDay_InclusiveBounds()
    {
        var random = new Random(12);
        var people = Enumerable.Range(0, 7).Select(i => $"dev{i}@example.com").ToArray();
        var events = new List<CursorEvent>();
        for (var i = 0; i < 2500; i++)
        {
            var day = D(random.Next(0, 4));
            var cents = Math.Round((decimal)random.NextDouble() * 40m, random.Next(0, 7));
            events.Add(new CursorEvent(Ms(day) + random.Next(0, 86_400_000), people[random.Next(people.Length)], "claude-4.5-sonnet", cents.ToString(CultureInfo.InvariantCulture)));
        }
        events.Add(new CursorEvent(Ms(D(0)), "edge@example.com", "gpt-5", "10.43146"));               // first millisecond: in
        events.Add(new CursorEvent(Ms(D(4)) - 1, "edge@example.com", "gpt-5", "0.58"));              // last millisecond: in
        events.Add(new CursorEvent(Ms(D(4)), "edge@example.com", "gpt-5", "99"));                    // the next day: out
        events.Add(new CursorEvent(Ms(D(0)) - 1, "edge@example.com", "gpt-5", "99"));                // the day before: out
        var data = new SandboxData { CursorEvents = events };
        await using var h = await ConnectorHarness.StartAsync(data);

        var result = await h.PullAsync(ConnectorKind.Cursor, D(0), D(3));

        Assert.Equal(3, h.Sandbox.Requests["/teams/filtered-usage-events"]);   // 2,502 events, 1,000 a page
        var expected = events.Where(e => e.TimestampMs >= Ms(D(0)) && e.TimestampMs < Ms(D(4)))
            .GroupBy(e => (e.Email, Day: DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs).UtcDateTime)))
            .ToDictionary(g => $"cursor:{g.Key.Email}:{g.Key.Day:yyyy-MM-dd}", g => g.Sum(e => decimal.Parse(e.ChargedCentsJson, CultureInfo.InvariantCulture)) / 100m);
        Assert.Equal(expected.OrderBy(e => e.Key), result.Rows.Select(r => KeyValuePair.Create(r.ExternalId, r.AmountUsd)).OrderBy(e => e.Key));
        Assert.Equal(0.1043146m, result.Rows.Single(r => r.ExternalId == "cursor:edge@example.com:2026-09-14").AmountUsd);
        Assert.Equal(0.0058m, result.Rows.Single(r => r.ExternalId == "cursor:edge@example.com:2026-09-17").AmountUsd);
        Assert.All(result.Rows, r => Assert.Equal(r.Subject, r.ExternalId.Split(':')[1]));
        Assert.Empty(result.Warnings);              // the range ends before today: no cycle check
        Assert.False(h.Sandbox.Requests.ContainsKey("/teams/spend"));
    }

    [Fact]
    public async Task Cursor_CycleCheck_AgreesWithSpend_AndWarnsWhenItDoesNot()
    {
        var today = DateOnly.FromDateTime(ConnectorHarness.Now.UtcDateTime);
        var cycle = today.AddDays(-5);
        var data = new SandboxData
        {
            CursorCycleStartMs = Ms(cycle),
            CursorEvents =
            [
                new(Ms(cycle, 9), "priya.nair@example.com", "claude-4.5-sonnet", "10.43146"),
                new(Ms(today, 8), "priya.nair@example.com", "claude-4.5-sonnet", "0.000001"),
                new(Ms(today, 9), "marco.silva@example.com", "gpt-5", "1210.5"),
                new(Ms(cycle.AddDays(-1), 9), "marco.silva@example.com", "gpt-5", "7"),   // last cycle
            ],
        };
        await using var h = await ConnectorHarness.StartAsync(data);

        var agreed = await h.PullAsync(ConnectorKind.Cursor, cycle.AddDays(-2), today);
        Assert.Empty(agreed.Warnings);
        Assert.Equal(1, h.Sandbox.Requests["/teams/spend"]);

        data.CursorSpendSkew["marco.silva@example.com"] = 3.25m;
        var skewed = await h.PullAsync(ConnectorKind.Cursor, cycle.AddDays(-2), today);
        var warning = Assert.Single(skewed.Warnings);
        Assert.Contains("marco.silva@example.com spent 1213.75 cents", warning);
        Assert.Equal(agreed.Rows, skewed.Rows);     // a warning, not a change to the rows
    }

    [Fact]
    public async Task Copilot_SeatsPerMonthAtTheSeatFee_AndAiCreditsAtNet()
    {
        var data = new SandboxData
        {
            CopilotSeatsPerPage = 2,                  // 3 seats → 2 pages through Link headers
            CopilotSeats =
            [
                new("pnair-acme", new(2026, 2, 3, 16, 20, 11, TimeSpan.Zero), null, new(2026, 9, 14, 17, 5, 52, TimeSpan.Zero)),
                new("msilva-acme", new(2026, 5, 19, 11, 47, 2, TimeSpan.Zero), new DateOnly(2026, 9, 30), null),
                new("jkowalski-acme", new(2026, 10, 2, 8, 0, 0, TimeSpan.Zero), null, null, "enterprise"),
            ],
            CopilotUsage =
            [
                new("pnair-acme", 2026, 9, "Claude Sonnet 4.6", 2841.37m, 2148.35m),
                new("pnair-acme", 2026, 9, "GPT-5.4", 612.08m, 462.79m),
                new("msilva-acme", 2026, 9, "GPT-5.4 mini", 96.44m, 72.92m),
                new("pnair-acme", 2026, 10, "GPT-5.4", 100m, 0m),
            ],
        };
        await using var h = await ConnectorHarness.StartAsync(data);

        var result = await h.PullAsync(ConnectorKind.GithubCopilot, new DateOnly(2026, 9, 10), new DateOnly(2026, 10, 20), seatFee: 19m);

        Assert.Equal(2, h.Sandbox.Requests["/orgs/acme-eng/copilot/billing/seats"]);
        var rows = result.Rows.ToDictionary(r => r.ExternalId);
        var seats = result.Rows.Where(r => r.Kind == PulledKind.Seat).Select(r => r.ExternalId).Order().ToList();
        Assert.Equal(["copilot:seat:jkowalski-acme:2026-10", "copilot:seat:msilva-acme:2026-09", "copilot:seat:pnair-acme:2026-09", "copilot:seat:pnair-acme:2026-10"], seats);
        Assert.All(result.Rows.Where(r => r.Kind == PulledKind.Seat), r => Assert.Equal(19m, r.AmountUsd));
        Assert.Contains("pending cancellation 2026-09-30", rows["copilot:seat:msilva-acme:2026-09"].Description);
        Assert.Contains("last activity 2026-09-14T17:05Z", rows["copilot:seat:pnair-acme:2026-09"].Description);
        Assert.Equal(new DateOnly(2026, 9, 1), rows["copilot:seat:pnair-acme:2026-09"].UsageDate);

        var usage = rows["copilot:usage:pnair-acme:2026-09"];
        Assert.Equal(PulledKind.Usage, usage.Kind);
        Assert.Equal("pnair-acme", usage.Subject);
        Assert.Equal((2841.37m - 2148.35m + 612.08m - 462.79m) * 0.01m, usage.AmountUsd);   // net, after the pooled discount
        Assert.Equal((2841.37m + 612.08m) * 0.01m, usage.ListAmountUsd);                  // gross kept
        Assert.Contains("from the pooled allowance", usage.Description);
        Assert.Equal(0.2352m, rows["copilot:usage:msilva-acme:2026-09"].AmountUsd);
        Assert.Equal(1m, rows["copilot:usage:pnair-acme:2026-10"].AmountUsd);
        Assert.False(rows.ContainsKey("copilot:usage:jkowalski-acme:2026-10"));           // no usage, no row
        Assert.Empty(result.Warnings);                // the seats' net adds up to the org's
    }

    [Fact]
    public async Task RateLimited_429WithRetryAfter_IsWaitedOut_ThenSucceeds()
    {
        await using var h = await ConnectorHarness.StartAsync(new SandboxData { OpenAiCosts = [new(D(0), "p", "k", "x", "1.5")] });
        h.Sandbox.Fail(new SandboxFault("/v1/organization/costs", 1, 1, 429, """{"error":"Too Many Requests"}""", RetryAfter: "1"));

        var watch = Stopwatch.StartNew();
        var result = await h.PullAsync(ConnectorKind.OpenAi, D(0), D(0));

        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"waited only {watch.Elapsed}: Retry-After was not honoured");
        Assert.Equal(1.5m, Assert.Single(result.Rows).AmountUsd);
        Assert.Equal(2, h.Sandbox.Requests["/v1/organization/costs"]);
        Assert.Contains(h.Logs.Lines, l => l.Contains("OPENAI retry 1") && l.Contains("HTTP 429"));
        Assert.Contains(h.Logs.Lines, l => l.Contains("/v1/organization/costs") && l.Contains("-> 429"));
    }

    [Fact]
    public async Task ServerError_TwiceThenSuccess_IsRetried()
    {
        await using var h = await ConnectorHarness.StartAsync(new SandboxData { CursorEvents = [new(Ms(D(0), 10), "a@example.com", "m", "12.5")] });
        h.Sandbox.Fail(new SandboxFault("/teams/filtered-usage-events", 1, 2, 500));

        var result = await h.PullAsync(ConnectorKind.Cursor, D(0), D(0));

        Assert.Equal(0.125m, Assert.Single(result.Rows).AmountUsd);
        Assert.Equal(3, h.Sandbox.Requests["/teams/filtered-usage-events"]);
        Assert.Equal(2, h.Logs.Lines.Count(l => l.Contains("CURSOR retry") && l.Contains("HTTP 500")));
    }

    [Fact]
    public async Task Timeout_OnceIsRetried_ForeverFailsNamingThePage()
    {
        await using var h = await ConnectorHarness.StartAsync(new SandboxData { AnthropicCosts = [new(D(0), "w", "d", "\"250\"")], BucketsPerPage = 1 });
        h.Sandbox.Fail(new SandboxFault("/v1/organizations/cost_report", 1, 1, 0, Delay: TimeSpan.FromSeconds(3)));
        var result = await h.PullAsync(ConnectorKind.Anthropic, D(0), D(0));
        Assert.Equal(2.5m, Assert.Single(result.Rows).AmountUsd);
        Assert.Contains(h.Logs.Lines, l => l.Contains("ANTHROPIC retry 1") && l.Contains("Timeout"));

        h.Sandbox.Fail(new SandboxFault("/v1/organizations/cost_report", 2, 10, 0, Delay: TimeSpan.FromSeconds(3)));
        var e = await Assert.ThrowsAsync<ConnectorException>(() => h.PullAsync(ConnectorKind.Anthropic, D(0), D(1)));
        Assert.Equal("ANTHROPIC /v1/organizations/cost_report page 2: timed out after retries", e.Message);
    }

    [Fact]
    public async Task PageMissingMidRun_FailsTheWholePull_NamingEndpointAndPage()
    {
        var events = Enumerable.Range(0, 2100).Select(i => new CursorEvent(Ms(D(0)) + i * 1000, $"p{i % 3}@example.com", "m", "1")).ToList();
        await using var h = await ConnectorHarness.StartAsync(new SandboxData { CursorEvents = events });
        h.Sandbox.Fail(new SandboxFault("/teams/filtered-usage-events", 2, 100, 404, """{"error":"Not Found"}"""));

        var e = await Assert.ThrowsAsync<ConnectorException>(() => h.PullAsync(ConnectorKind.Cursor, D(0), D(0)));

        Assert.Equal("CURSOR /teams/filtered-usage-events page 2: page missing (HTTP 404)", e.Message);
        Assert.Equal(2, e.Page);
        Assert.Equal(2, h.Sandbox.Requests["/teams/filtered-usage-events"]);   // a 404 is not retried
    }

    public static TheoryData<string, string, string, string> Malformed => new()
    {
        { "html page", "/v1/organization/costs", "<html><body>502 Bad Gateway</body></html>|text/html", "OPENAI /v1/organization/costs page 1: expected JSON, got text/html" },
        { "missing field", "/v1/organization/costs", """{"object":"page","data":[],"next_page":null}""", "OPENAI /v1/organization/costs page 1 field has_more: missing" },
        { "wrong type", "/v1/organization/costs", """{"object":"page","data":{"start_time":1},"has_more":false}""", "OPENAI /v1/organization/costs page 1 field data: expected an array, got an object" },
        { "not a number", "/v1/organization/costs",
          """{"object":"page","data":[{"start_time":1789344000,"end_time":1789430400,"results":[{"amount":{"value":"n/a","currency":"usd"},"api_key_id":"k"}]}],"has_more":false}""",
          "OPENAI /v1/organization/costs page 1 field data[0].results[0].amount.value: expected a number, got string \"n/a\"" },
        { "not usd", "/v1/organization/costs",
          """{"object":"page","data":[{"start_time":1789344000,"end_time":1789430400,"results":[{"amount":{"value":1.5,"currency":"eur"},"api_key_id":"k"}]}],"has_more":false}""",
          "OPENAI /v1/organization/costs page 1 field data[0].results[0].amount.currency: currency eur is not USD and no rate to USD is configured" },
    };

    [Theory, MemberData(nameof(Malformed))]
    public async Task MalformedResponse_FailsNamingProviderEndpointPageAndField(string _, string path, string body, string message)
    {
        await using var h = await ConnectorHarness.StartAsync(new SandboxData());
        var parts = body.Split('|');
        h.Sandbox.Fail(new SandboxFault(path, 1, 1, 200, parts[0], parts.Length > 1 ? parts[1] : "application/json"));

        var e = await Assert.ThrowsAsync<ConnectorException>(() => h.PullAsync(ConnectorKind.OpenAi, new DateOnly(2026, 9, 14), new DateOnly(2026, 9, 14)));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task CentsThatAreNotStrings_AreRejected()
    {
        await using var h = await ConnectorHarness.StartAsync(new SandboxData { AnthropicCosts = [new(D(0), "w", "d", "412.7385")] });
        var e = await Assert.ThrowsAsync<ConnectorException>(() => h.PullAsync(ConnectorKind.Anthropic, D(0), D(0)));
        Assert.Equal("ANTHROPIC /v1/organizations/cost_report page 1 field data[0].results[0].amount: expected a decimal string, got a number", e.Message);
    }

    [Theory]
    [InlineData(ConnectorKind.OpenAi)]
    [InlineData(ConnectorKind.Anthropic)]
    [InlineData(ConnectorKind.Cursor)]
    [InlineData(ConnectorKind.GithubCopilot)]
    public async Task RejectedCredential_Fails_AndTheCredentialIsNeverLoggedOrReported(ConnectorKind kind)
    {
        const string secret = "sk-live-Zq81xSECRETvalue9931";
        await using var h = await ConnectorHarness.StartAsync(new SandboxData { CopilotSeats = [new("x", DateTimeOffset.UnixEpoch, null, null)] });

        var e = await Assert.ThrowsAsync<ConnectorException>(() => h.PullAsync(kind, D(0), D(0), credential: secret));

        Assert.True(e.CredentialRejected);
        Assert.Contains("credential rejected (HTTP 401)", e.Message);
        Assert.DoesNotContain(secret, e.ToString());
        Assert.NotEmpty(h.Logs.Lines);
        Assert.DoesNotContain(h.Logs.Lines, l => l.Contains(secret) || l.Contains(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(secret + ":"))));

        // The right credential succeeds, and is not logged either.
        await h.PullAsync(kind, D(0), D(0));
        var good = h.Request(kind, D(0), D(0)).Credential;
        Assert.DoesNotContain(h.Logs.Lines, l => l.Contains(good));
    }
}
