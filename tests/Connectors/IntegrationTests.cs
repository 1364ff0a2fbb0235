using System.Text;
using System.Text.Json;
using Flowstate.Demo.Sandbox;
using Flowstate.Reconciliation;
using Flowstate.Tests.Infrastructure;
using Npgsql;

namespace Flowstate.Tests.Connectors;

/// <summary>
/// Provider integrations over GraphQL against the provider sandbox on loopback: configure with a
/// baseUrl and credential, pull, re-pull, corrections of locked rows, FOCUS import, and the
/// credential kept out of every response and of stored state.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IntegrationTests(FlowstateCluster cluster)
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(FlowstateCluster.Start.UtcDateTime);   // 2026-11-20
    private const string Secret = "crsr_live_9f8e7d6c5b4a3210SECRET";

    private const string Configure = """
        mutation($input: ProviderInput!) { configureProvider(input: $input) {
          id integration { kind baseUrl state credentialSet credentialHint everyMinutes settleDays } } }
        """;
    private const string Pull = """
        mutation($input: PullProviderInput!) { pullProvider(input: $input) {
          id providerId status from to rowsCreated rowsUpdated rowsUnchanged rowsRejected rowsAdjusted error warnings source startedAt finishedAt } }
        """;
    private const string Status = """
        { providers { id integration { kind state lastRunAt lastSuccessAt nextRunAt lastError credentialSet credentialHint
            runs(first: 5) { id status rowsCreated rowsUnchanged error } } } }
        """;
    private const string Rows = """
        query($period: String!, $provider: ID) { reconciliation(period: $period, provider: $provider, statuses: [UNRECONCILED, SUGGESTED, AUTO_MATCHED, CONFIRMED, WRITTEN_OFF, DEFERRED], first: 200) {
          rows { totalCount edges { node { id externalId totalCostUsd status usageDate provisional subject { id } } } } } }
        """;

    private static long Ms(DateOnly day, int hour) => new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, 0)), TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static SandboxData CursorData() => new()
    {
        CursorKey = Secret,
        CursorEvents =
        [
            new(Ms(Today.AddDays(-3), 9), "alice@acme.example", "claude-4.5-sonnet", "10.43146"),
            new(Ms(Today.AddDays(-3), 15), "alice@acme.example", "claude-4.5-sonnet", "0.58"),
            new(Ms(Today.AddDays(-3), 10), "bob@acme.example", "gpt-5", "125.000001"),
            new(Ms(Today.AddDays(-1), 10), "bob@acme.example", "gpt-5", "3.3"),
        ],
    };

    private async Task<(TestOrg Org, ProviderSandbox Sandbox, List<string> Responses)> SetUpAsync(SandboxData data)
    {
        var org = await TestOrg.CreateAsync(cluster);
        var sandbox = await ProviderSandbox.StartAsync(data);
        var responses = new List<string>();
        var configured = await org.GraphQLAsync(Configure, new { input = new
        {
            id = "cursor", name = "Cursor", modality = "coding",
            connector = new { kind = "CURSOR", baseUrl = sandbox.BaseUrl.ToString(), credential = Secret, everyMinutes = 60, settleDays = 2 },
        } });
        responses.Add(configured.GetRawText());
        var integration = configured.GetProperty("data").GetProperty("configureProvider").GetProperty("integration");
        Assert.Equal("CURSOR", integration.GetProperty("kind").GetString());
        Assert.True(integration.GetProperty("credentialSet").GetBoolean());
        Assert.Equal("CRET", integration.GetProperty("credentialHint").GetString());
        return (org, sandbox, responses);
    }

    private static async Task<JsonElement> PullAsync(TestOrg org, List<string> responses, object input)
    {
        var response = await org.GraphQLAsync(Pull, new { input });
        responses.Add(response.GetRawText());
        Assert.False(response.TryGetProperty("errors", out var errors), errors.ToString());
        return response.GetProperty("data").GetProperty("pullProvider");
    }

    private static async Task<Dictionary<string, JsonElement>> RowsAsync(TestOrg org, List<string> responses)
    {
        var response = await org.GraphQLAsync(Rows, new { period = $"{Today:yyyy-MM}", provider = "cursor" });
        responses.Add(response.GetRawText());
        Assert.False(response.TryGetProperty("errors", out var errors), errors.ToString());
        return response.GetProperty("data").GetProperty("reconciliation").GetProperty("rows").GetProperty("edges").EnumerateArray()
            .Select(e => e.GetProperty("node")).ToDictionary(n => n.GetProperty("externalId").GetString()!);
    }

    [Fact]
    public async Task Pull_CreatesExactRowsPerPersonAndDay_RePullChangesNothing_AndRunsAreListed()
    {
        var (org, sandbox, responses) = await SetUpAsync(CursorData());
        await using var _ = sandbox;

        var first = await PullAsync(org, responses, new { providerId = "cursor" });
        Assert.Equal("SUCCEEDED", first.GetProperty("status").GetString());
        Assert.Equal($"{Today.AddDays(-89):yyyy-MM-dd}", first.GetProperty("from").GetString());   // the first run backfills 90 days
        Assert.Equal($"{Today:yyyy-MM-dd}", first.GetProperty("to").GetString());
        Assert.Equal(3, first.GetProperty("rowsCreated").GetInt32());

        var rows = await RowsAsync(org, responses);
        Assert.Equal("0.1101146", rows[$"cursor:alice@acme.example:{Today.AddDays(-3):yyyy-MM-dd}"].GetProperty("totalCostUsd").GetString());
        Assert.Equal("1.25000001", rows[$"cursor:bob@acme.example:{Today.AddDays(-3):yyyy-MM-dd}"].GetProperty("totalCostUsd").GetString());
        Assert.Equal("0.033", rows[$"cursor:bob@acme.example:{Today.AddDays(-1):yyyy-MM-dd}"].GetProperty("totalCostUsd").GetString());
        Assert.Equal("alice", rows[$"cursor:alice@acme.example:{Today.AddDays(-3):yyyy-MM-dd}"].GetProperty("subject").GetProperty("id").GetString());
        // settleDays 2: yesterday's bill may still change, the day before yesterday's is final.
        Assert.True(rows[$"cursor:bob@acme.example:{Today.AddDays(-1):yyyy-MM-dd}"].GetProperty("provisional").GetBoolean());
        Assert.False(rows[$"cursor:bob@acme.example:{Today.AddDays(-3):yyyy-MM-dd}"].GetProperty("provisional").GetBoolean());

        // The next run starts at the oldest unsettled day (settleDays 2: the day before yesterday is final), and finds nothing new.
        var second = await PullAsync(org, responses, new { providerId = "cursor" });
        Assert.Equal($"{Today.AddDays(-1):yyyy-MM-dd}", second.GetProperty("from").GetString());
        Assert.Equal((0, 0, 1), (second.GetProperty("rowsCreated").GetInt32(), second.GetProperty("rowsUpdated").GetInt32(), second.GetProperty("rowsUnchanged").GetInt32()));
        var again = await PullAsync(org, responses, new { providerId = "cursor", from = $"{Today.AddDays(-10):yyyy-MM-dd}", to = $"{Today:yyyy-MM-dd}" });
        Assert.Equal((0, 3), (again.GetProperty("rowsCreated").GetInt32(), again.GetProperty("rowsUnchanged").GetInt32()));
        Assert.Equal(3, (await RowsAsync(org, responses)).Count);

        var status = await org.GraphQLAsync(Status);
        responses.Add(status.GetRawText());
        var integration = status.GetProperty("data").GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("id").GetString() == "cursor").GetProperty("integration");
        Assert.Equal("SCHEDULED", integration.GetProperty("state").GetString());
        Assert.Equal(3, integration.GetProperty("runs").GetArrayLength());
        Assert.Equal(again.GetProperty("id").GetString(), integration.GetProperty("runs")[0].GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, integration.GetProperty("lastError").ValueKind);

        // The credential is in no response and nowhere in stored grain state, yet the key ring is in PostgreSQL.
        Assert.DoesNotContain(responses, r => r.Contains(Secret));
        await using var db = NpgsqlDataSource.Create(cluster.Database.ConnectionString);
        await using var cmd = db.CreateCommand("select count(*) from orleans_grain_state where position(@utf8 in payloadbinary) > 0 or position(@utf16 in payloadbinary) > 0");
        cmd.Parameters.AddWithValue("utf8", Encoding.UTF8.GetBytes(Secret));
        cmd.Parameters.AddWithValue("utf16", Encoding.Unicode.GetBytes(Secret));
        Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
        await using var keys = db.CreateCommand("select count(*) from flowstate_data_protection_keys");
        Assert.True((long)(await keys.ExecuteScalarAsync())! >= 1);
    }

    [Fact]
    public async Task RePull_UpdatesOpenRows_AndCorrectsLockedOnesWithAnAdjustment()
    {
        var data = CursorData();
        var (org, sandbox, responses) = await SetUpAsync(data);
        await using var _ = sandbox;
        await PullAsync(org, responses, new { providerId = "cursor" });
        var aliceDay = $"cursor:alice@acme.example:{Today.AddDays(-3):yyyy-MM-dd}";
        var bobDay = $"cursor:bob@acme.example:{Today.AddDays(-3):yyyy-MM-dd}";
        var rows = await RowsAsync(org, responses);
        var confirm = await org.DataAsync("""mutation($input: RowActionInput!) { applyRowAction(input: $input) { row { status } } }""",
            new { input = new { rowId = rows[aliceDay].GetProperty("id").GetString(), action = "WRITE_OFF", note = "Trial usage, not charged back" } });
        Assert.Equal("WRITTEN_OFF", confirm.GetProperty("applyRowAction").GetProperty("row").GetProperty("status").GetString());

        // The provider re-bills both people's day: alice's (written off, so locked) and bob's (open).
        data.CursorEvents = [.. data.CursorEvents, new(Ms(Today.AddDays(-3), 20), "alice@acme.example", "gpt-5", "2.5"), new(Ms(Today.AddDays(-3), 21), "bob@acme.example", "gpt-5", "1")];
        var range = new { providerId = "cursor", from = $"{Today.AddDays(-5):yyyy-MM-dd}", to = $"{Today:yyyy-MM-dd}" };
        var run = await PullAsync(org, responses, range);
        Assert.Equal(("SUCCEEDED", 1, 1), (run.GetProperty("status").GetString(), run.GetProperty("rowsUpdated").GetInt32(), run.GetProperty("rowsAdjusted").GetInt32()));

        rows = await RowsAsync(org, responses);
        Assert.Equal(("0.1101146", "WRITTEN_OFF"), (rows[aliceDay].GetProperty("totalCostUsd").GetString(), rows[aliceDay].GetProperty("status").GetString()));
        Assert.Equal("1.26000001", rows[bobDay].GetProperty("totalCostUsd").GetString());
        var adjustment = rows[$"{aliceDay}~adj@{Today:yyyy-MM}"];
        Assert.Equal("0.025", adjustment.GetProperty("totalCostUsd").GetString());
        Assert.Equal($"{Today:yyyy-MM-dd}", adjustment.GetProperty("usageDate").GetString());
        var view = await org.Grains.GetGrain<IBillingRowGrain>(GrainKeys.Row(org.Id, GrainKeys.RowId("cursor", $"{aliceDay}~adj@{Today:yyyy-MM}"))).GetAsync();
        Assert.Equal(BillingRowKind.Adjustment, view!.Line.Kind);
        Assert.Contains($"Adjusts row {rows[aliceDay].GetProperty("id").GetString()}", view.Line.Description);

        // Pulling the same bill again owes nothing more.
        var same = await PullAsync(org, responses, range);
        Assert.Equal((0, 0, 0), (same.GetProperty("rowsCreated").GetInt32(), same.GetProperty("rowsUpdated").GetInt32(), same.GetProperty("rowsAdjusted").GetInt32()));
        Assert.Equal("0.025", (await RowsAsync(org, responses))[$"{aliceDay}~adj@{Today:yyyy-MM}"].GetProperty("totalCostUsd").GetString());
    }

    [Fact]
    public async Task RejectedCredential_FailsTheRun_WritesNothing_AndShowsOnTheIntegration()
    {
        var data = CursorData();
        var (org, sandbox, responses) = await SetUpAsync(data);
        await using var _ = sandbox;
        data.CursorKey = "crsr_rotated";

        var run = await PullAsync(org, responses, new { providerId = "cursor" });

        Assert.Equal("FAILED", run.GetProperty("status").GetString());
        Assert.Equal("CURSOR /teams/filtered-usage-events page 1: credential rejected (HTTP 401)", run.GetProperty("error").GetString());
        Assert.Empty(await RowsAsync(org, responses));
        var integration = (await org.DataAsync(Status)).GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("id").GetString() == "cursor").GetProperty("integration");
        Assert.Equal("FAILING", integration.GetProperty("state").GetString());
        Assert.Contains("credential rejected", integration.GetProperty("lastError").GetString());

        // A page that goes missing mid-run also fails the run whole.
        data.CursorKey = Secret;
        data.CursorEvents = Enumerable.Range(0, 2100).Select(i => new CursorEvent(Ms(Today.AddDays(-1), 0) + i * 1000L, "bob@acme.example", "m", "1")).ToList();
        sandbox.Fail(new SandboxFault("/teams/filtered-usage-events", 2, 100, 404));
        var missing = await PullAsync(org, responses, new { providerId = "cursor" });
        Assert.Equal(("FAILED", "CURSOR /teams/filtered-usage-events page 2: page missing (HTTP 404)"), (missing.GetProperty("status").GetString(), missing.GetProperty("error").GetString()));
        Assert.Empty(await RowsAsync(org, responses));
        Assert.DoesNotContain(responses, r => r.Contains(Secret));
    }

    /// <summary>The message of an INVALID_INPUT answer.</summary>
    private static async Task<string> MessageAsync(TestOrg org, string query, object variables)
    {
        var response = await org.GraphQLAsync(query, variables);
        var error = response.GetProperty("errors")[0];
        Assert.Equal("INVALID_INPUT", error.GetProperty("extensions").GetProperty("code").GetString());
        return error.GetProperty("message").GetString()!;
    }

    [Fact]
    public async Task BadInput_IsInvalidInput_AndChangesNothing()
    {
        var (org, sandbox, _) = await SetUpAsync(CursorData());
        await using var _s = sandbox;

        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Pull, new { input = new { providerId = "cursor", from = "2026-11-10", to = "2026-11-01" } }));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Pull, new { input = new { providerId = "cursor", from = "2026-11-10", to = "2026-12-30" } }));
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync(Pull, new { input = new { providerId = "nope" } }));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Pull, new { input = new { providerId = "claude" } }));   // no connector
        foreach (var baseUrl in new[] { "not a url", "ftp://example.com", "https://user:pw@example.com", "/relative" })
            Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Configure, new { input = new { id = "cursor", name = "Renamed", connector = new { kind = "CURSOR", baseUrl } } }));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Configure, new { input = new { id = "gh", name = "Copilot", connector = new { kind = "GITHUB_COPILOT", credential = "ghp_x" } } }));
        // An unknown kind is INVALID_INPUT naming the kinds, whether sent in a variable or written as an enum literal.
        const string Kinds = "connector.kind: 'SOMETHING' is not a connector kind (OPENAI, ANTHROPIC, CURSOR or GITHUB_COPILOT).";
        Assert.Equal(Kinds, await MessageAsync(org, Configure, new { input = new { id = "cursor", name = "Renamed", connector = new { kind = "SOMETHING" } } }));
        Assert.Equal(Kinds, await MessageAsync(org, """mutation { configureProvider(input: { id: "cursor", name: "Renamed", connector: { kind: SOMETHING } }) { id } }""", new { }));
        // Each bad-input message says what is wrong.
        Assert.Equal("from 2026-11-10 is after to 2026-11-01.", await MessageAsync(org, Pull, new { input = new { providerId = "cursor", from = "2026-11-10", to = "2026-11-01" } }));
        foreach (var baseUrl in new[] { "https://api.example.com/?x=1", "https://api.example.com/#frag", "mailto:ops@example.com" })
            Assert.Equal($"baseUrl must be an absolute http(s) URL without credentials, query or fragment, e.g. https://api.openai.com; got '{baseUrl}'.",
                await MessageAsync(org, Configure, new { input = new { id = "cursor", name = "Renamed", connector = new { kind = "CURSOR", baseUrl } } }));

        var providers = (await org.DataAsync("{ providers { id name integration { baseUrl } } }")).GetProperty("providers").EnumerateArray().ToList();
        var cursor = providers.Single(p => p.GetProperty("id").GetString() == "cursor");
        Assert.Equal("Cursor", cursor.GetProperty("name").GetString());                 // the failed mutations changed nothing
        Assert.Equal(sandbox.BaseUrl.ToString().TrimEnd('/'), cursor.GetProperty("integration").GetProperty("baseUrl").GetString());
        Assert.DoesNotContain(providers, p => p.GetProperty("id").GetString() == "gh");
    }

    [Fact]
    public async Task ImportFocus_ImportsTheFinOpsSample_AndABadFileImportsNothing()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.DataAsync("""mutation { configureProvider(input: { id: "aws", name: "AWS" }) { id } }""");
        const string Import = """mutation($input: ImportFocusInput!) { importFocus(input: $input) { status from to rowsCreated rowsUnchanged rowsRejected error source } }""";
        var csv = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "providers", "focus_1.0_sample_finops_foundation.csv"));
        var expected = Flowstate.Connectors.Focus.FocusReader.Read(csv);

        var run = (await org.DataAsync(Import, new { input = new { providerId = "aws", csv } })).GetProperty("importFocus");
        Assert.True(run.GetProperty("error").ValueKind == JsonValueKind.Null, run.GetProperty("error").ToString());
        Assert.Equal(("SUCCEEDED", expected.Count, 0, "importFocus"), (run.GetProperty("status").GetString(), run.GetProperty("rowsCreated").GetInt32(),
            run.GetProperty("rowsRejected").GetInt32(), run.GetProperty("source").GetString()));
        var summary = (await org.DataAsync("""{ reconciliation(period: "2024-09", provider: "aws") { summary { billed } } }""")).GetProperty("reconciliation").GetProperty("summary");
        Assert.Equal(expected.Where(r => r.UsageDate.Month == 9).Sum(r => r.AmountUsd), decimal.Parse(summary.GetProperty("billed").GetString()!, System.Globalization.CultureInfo.InvariantCulture));

        var again = (await org.DataAsync(Import, new { input = new { providerId = "aws", csv } })).GetProperty("importFocus");
        Assert.Equal((0, expected.Count), (again.GetProperty("rowsCreated").GetInt32(), again.GetProperty("rowsUnchanged").GetInt32()));

        var bad = "BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart\n5,USD,Usage,2026-11-02\nabc,USD,Usage,2026-11-03";
        var response = await org.GraphQLAsync(Import, new { input = new { providerId = "aws", csv = bad } });
        Assert.Equal("INVALID_INPUT", response.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        Assert.Contains("FOCUS line 3 column BilledCost", response.GetProperty("errors")[0].GetProperty("message").GetString());
        var november = (await org.DataAsync("""{ reconciliation(period: "2026-11", provider: "aws") { rows { totalCount } } }""")).GetProperty("reconciliation");
        Assert.Equal(0, november.GetProperty("rows").GetProperty("totalCount").GetInt32());
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync(Import, new { input = new { providerId = "nope", csv = bad } }));
    }

    [Fact]
    public async Task CoverageAgesOut_GapsNameWhatIsMissing_AndAnEmptyPulledMonthIsCleared()
    {
        var data = new SandboxData
        {
            GitHubToken = "ghp_sandbox_token_1234",
            CopilotSeats = [new("alice", new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero), null, null), new("bob", new(2026, 1, 5, 9, 0, 0, TimeSpan.Zero), null, new(2026, 11, 19, 8, 0, 0, TimeSpan.Zero))],
            CursorKey = Secret,
        };
        var org = await TestOrg.CreateAsync(cluster);
        await using var sandbox = await ProviderSandbox.StartAsync(data);
        await org.DataAsync(Configure, new { input = new { id = "copilot", name = "GitHub Copilot", plan = new { seatFeeUsd = "19" },
            connector = new { kind = "GITHUB_COPILOT", account = "acme-eng", baseUrl = sandbox.BaseUrl.ToString(), credential = data.GitHubToken } } });
        await org.DataAsync(Configure, new { input = new { id = "cursor", name = "Cursor",
            connector = new { kind = "CURSOR", baseUrl = sandbox.BaseUrl.ToString(), credential = "crsr_wrong_key_0000" } } });
        const string Coverage = "{ providers { id coverage latestBillingDay } }";
        string CoverageOf(JsonElement d, string id) => d.GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("id").GetString() == id).GetProperty("coverage").GetString()!;

        // Before any pull, the Cursor inbox waits for one; after a pull that found nothing, it is clear.
        const string Empty = """query($p: ID) { reconciliation(period: "2026-11", provider: $p) { emptyState } }""";
        Assert.Equal("NO_BILLING_PULL", (await org.DataAsync(Empty, new { p = "cursor" })).GetProperty("reconciliation").GetProperty("emptyState").GetString());
        data.CursorKey = "crsr_wrong_key_0000";
        Assert.Equal("SUCCEEDED", (await PullAsync(org, [], new { providerId = "cursor" })).GetProperty("status").GetString());
        Assert.Equal("CLEARED", (await org.DataAsync(Empty, new { p = "cursor" })).GetProperty("reconciliation").GetProperty("emptyState").GetString());

        var run = await PullAsync(org, [], new { providerId = "copilot" });
        Assert.Equal(("SUCCEEDED", 8), (run.GetProperty("status").GetString(), run.GetProperty("rowsCreated").GetInt32()));   // 2 seats × Aug–Nov (the 90-day backfill reaches Aug 23)
        Assert.Equal("BILLING_ONLY", CoverageOf(await org.DataAsync(Coverage), "copilot"));

        // The connector starts failing; a day later it is a gap.
        data.CursorKey = "crsr_rotated_elsewhere";
        Assert.Equal("FAILED", (await PullAsync(org, [], new { providerId = "cursor" })).GetProperty("status").GetString());
        try
        {
            cluster.Clock.Set(FlowstateCluster.Start.AddDays(2));
            var gaps = (await org.DataAsync("{ monitoringGaps { kind providerId rowId subjectKey since message } }")).GetProperty("monitoringGaps").EnumerateArray().ToList();
            Assert.Contains(gaps, g => g.GetProperty("kind").GetString() == "BILLED_WITHOUT_TELEMETRY" && g.GetProperty("providerId").GetString() == "copilot");
            Assert.Contains(gaps, g => g.GetProperty("kind").GetString() == "CONNECTOR_FAILING" && g.GetProperty("providerId").GetString() == "cursor"
                                       && g.GetProperty("message").GetString()!.Contains("credential rejected"));
            var quiet = gaps.Where(g => g.GetProperty("kind").GetString() == "QUIET_SEAT").Select(g => g.GetProperty("subjectKey").GetString()).Order().ToList();
            Assert.Equal(["p:alice", "p:bob"], quiet);   // seats billed in November, no session from either

            // Telemetry without a connector.
            await org.ObserveAsync(TestOrg.Session("s-1", "alice@acme.example", "2026-11-21T10:00:00Z", 0.5m));
            gaps = (await org.DataAsync("{ monitoringGaps { kind providerId } }")).GetProperty("monitoringGaps").EnumerateArray().ToList();
            Assert.Contains(gaps, g => g.GetProperty("kind").GetString() == "TELEMETRY_WITHOUT_CONNECTOR" && g.GetProperty("providerId").GetString() == "claude");

            // Thirty days after its last usage day, billing coverage ages out.
            cluster.Clock.Set(FlowstateCluster.Start.AddDays(45));
            Assert.Equal("NOT_MONITORED", CoverageOf(await org.DataAsync(Coverage), "copilot"));
            Assert.Equal("BILLING_ONLY", CoverageOf(await org.DataAsync("{ providers { id coverage(days: 90) } }"), "copilot"));
        }
        finally { cluster.Clock.Set(FlowstateCluster.Start); }
    }

    [Fact]
    public async Task Anthropic_EnterpriseUserCostPerPerson_OrWithoutAccessARunThatSucceedsWithAWarning()
    {
        var day = Today.AddDays(-5);
        var data = new SandboxData
        {
            AnthropicCosts = [new(day, "wrkspc_01", "Input Tokens", "\"250\"")],
            AnthropicUserCosts = [new(day, "user_a", "ALICE@acme.example", "claude_code", "\"41873.2290\"", "\"46525.8100\""), new(day, "user_a", "ALICE@acme.example", "chat", "\"0.0010\"", "\"0.0010\"")],
        };
        var org = await TestOrg.CreateAsync(cluster);
        await using var sandbox = await ProviderSandbox.StartAsync(data);
        await org.DataAsync(Configure, new { input = new { id = "anthropic", name = "Anthropic",
            connector = new { kind = "ANTHROPIC", baseUrl = sandbox.BaseUrl.ToString(), credential = data.AnthropicKey } } });
        var range = new { providerId = "anthropic", from = $"{day:yyyy-MM-dd}", to = $"{day:yyyy-MM-dd}" };

        var run = await PullAsync(org, [], range);
        Assert.Equal(("SUCCEEDED", 2, 0), (run.GetProperty("status").GetString(), run.GetProperty("rowsCreated").GetInt32(), run.GetProperty("warnings").GetArrayLength()));
        var rows = (await org.DataAsync(Rows, new { period = $"{day:yyyy-MM}", provider = "anthropic" })).GetProperty("reconciliation").GetProperty("rows").GetProperty("edges")
            .EnumerateArray().Select(e => e.GetProperty("node")).ToDictionary(n => n.GetProperty("externalId").GetString()!);
        var alice = rows[$"anthropic-user:alice@acme.example:{day:yyyy-MM-dd}"];
        Assert.Equal(("418.7323", "alice"), (alice.GetProperty("totalCostUsd").GetString(), alice.GetProperty("subject").GetProperty("id").GetString()));

        data.AnthropicAnalyticsStatus = 403;
        run = await PullAsync(org, [], range);
        Assert.Equal("SUCCEEDED", run.GetProperty("status").GetString());
        Assert.Contains("no Enterprise Analytics access (HTTP 403)", Assert.Single(run.GetProperty("warnings").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Schedule_RunsThePullByItself_SoonAfterConfiguring()
    {
        var (org, sandbox, responses) = await SetUpAsync(CursorData());
        await using var _ = sandbox;
        JsonElement runs = default;
        await FlowstateCluster.EventuallyAsync(async () =>
        {
            var status = await org.DataAsync(Status);
            runs = status.GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("id").GetString() == "cursor").GetProperty("integration").GetProperty("runs");
            return runs.GetArrayLength() > 0 && runs[0].GetProperty("status").GetString() != "RUNNING";
        }, "the first scheduled run", TimeSpan.FromSeconds(60));
        Assert.Equal(("SUCCEEDED", 3), (runs[0].GetProperty("status").GetString(), runs[0].GetProperty("rowsCreated").GetInt32()));
        Assert.Equal(3, (await RowsAsync(org, responses)).Count);
    }
}
