using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flowstate.GraphQL.Types;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Silo.Exports;
using Flowstate.Storage;
using Flowstate.Tests.Cluster;
using Flowstate.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using nietras.SeparatedValues;
using Npgsql;

namespace Flowstate.Tests.Finance;

/// <summary>
/// The confirmed ledger as FOCUS 1.2 CSV, and plain CSV of rows and attribution (DESIGN §12): the
/// conformance of the FOCUS file to every requirement of the version that applies to these rows,
/// the read-back to the same totals, the snapshot a stream keeps while actions land, and the HTTP
/// endpoint's authorization. Deferral moves the clock, so these share the deferral cluster.
/// </summary>
[Collection(DeferralCollection.Name)]
public sealed class ExportTests(FlowstateCluster cluster) : IDisposable
{
    private readonly NpgsqlDataSource _db = NpgsqlDataSource.Create(cluster.Database.ConnectionString);

    public void Dispose() => _db.Dispose();

    private LedgerExporter Exporter => new(new ExportStore(_db), cluster.Grains);

    private async Task<string> ExportAsync(ExportFormat format, TestOrg org, string period)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        await Exporter.WriteAsync(format, org.Id, Period.Parse(period), text);
        return text.ToString();
    }

    /// <summary>Reads a CSV back with the CSV library: the header and each row as column → value ("" is null).</summary>
    private static (string[] Header, List<Dictionary<string, string>> Rows) Read(string csv)
    {
        using var reader = Sep.New(',').Reader(o => o with { Unescape = true }).FromText(csv);
        var header = reader.Header.ColNames.ToArray();
        var rows = new List<Dictionary<string, string>>();
        foreach (var row in reader)
        {
            var values = new Dictionary<string, string>();
            foreach (var h in header) values[h] = row[h].ToString();
            rows.Add(values);
        }
        return (header, rows);
    }

    /// <summary>A November with confirmed usage, a confirmed seat, a retainer confirmed against the contract, a row deferred in from October, and rows left open.</summary>
    private async Task<TestOrg> LedgerAsync()
    {
        cluster.Clock.Set(new DateTimeOffset(2026, 10, 31, 12, 0, 0, TimeSpan.Zero));
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        await org.Provider("gong").ConfigureAsync(new ProviderConfig("gong", "Gong", "sales", new ProviderPlan(100m, 0m, 0m), [], MatchTolerance.Default));
        // October's row waits as deferred, then comes into November and is confirmed there.
        await org.ObserveAsync(TestOrg.Session("s3", "alice", "2026-10-30T10:00:00Z", 6m));
        await org.BillAsync(TestOrg.BillRow("late-oct", "alice", "2026-10-30", 6m));
        await org.Row("late-oct").ApplyActionAsync(new RowCommand(RowAction.Defer, null, null, "fin"));
        cluster.Clock.Set(new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero));
        await org.Grains.GetGrain<IDeferralClockGrain>(org.Id).ReturnDueAsync();
        await org.Row("late-oct").ApplyActionAsync(new RowCommand(RowAction.Confirm, null, null, "fin"));   // matched again on return

        await org.ObserveAsync(
            TestOrg.Session("s1", "alice", "2026-11-03T10:00:00Z", 10m),
            TestOrg.Session("s2", "bob", "2026-11-04T10:00:00Z", 4.25m));
        await org.BillAsync(
            TestOrg.BillRow("alice-1103", "alice", "2026-11-03", 10m) with { ListCostUsd = 12.5m, Description = "Claude usage, \"team\" plan, line 1" },
            TestOrg.BillRow("bob-1104", "bob", "2026-11-04", 4.25m),
            TestOrg.BillRow("open", "carol", "2026-11-05", 3m));
        await org.Ingestion.IngestBillingRowsAsync("gong", [
            new BillingRowRequest("retainer-2026-11", null, "retainer", new DateOnly(2026, 11, 1), 2500m, null, BillingRowKind.Usage, "Retainer drawdown", []),
            new BillingRowRequest("seat-2026-11-dave", "dave", null, new DateOnly(2026, 11, 1), 100m, null, BillingRowKind.Seat, "Gong seat", [])]);

        await org.Row("alice-1103").ApplyActionAsync(new RowCommand(RowAction.Confirm, "Checked, \"ok\",\nsee ticket FIN-12", null, "fin"));
        await org.Row("bob-1104").ApplyActionAsync(new RowCommand(RowAction.Confirm, null, null, "fin"));
        await org.Row("retainer-2026-11", "gong").ApplyActionAsync(new RowCommand(RowAction.Confirm, "Retainer per the 2026 contract", null, "fin"));
        await org.Row("seat-2026-11-dave", "gong").ApplyActionAsync(new RowCommand(RowAction.Confirm, "Seat per contract", null, "fin"));
        return org;
    }

    // FOCUS 1.2: the Mandatory columns, and the allowed values of its enumerated columns.
    private static readonly string[] Mandatory =
    [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory",
        "ChargeClass", "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName",
        "ListCost", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
    ];
    private static readonly string[] ChargeCategories = ["Adjustment", "Credit", "Purchase", "Tax", "Usage"];
    private static readonly string[] ChargeFrequencies = ["One-Time", "Recurring", "Usage-Based"];
    private static readonly string[] ServiceCategories =
    [
        "AI and Machine Learning", "Analytics", "Business Applications", "Compute", "Databases", "Developer Tools", "Multicloud", "Identity",
        "Integration", "Internet of Things", "Management and Governance", "Media", "Migration", "Mobile", "Networking", "Security", "Storage", "Web", "Other",
    ];
    private static readonly Regex DateTimeUtc = new(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$");
    private static readonly Regex DecimalText = new(@"^-?\d+(\.\d+)?$");

    [Fact]
    public async Task FocusExport_MeetsEveryApplicableFocus12Requirement_AndReadsBackToTheConfirmedTotals()
    {
        var org = await LedgerAsync();
        var (header, rows) = Read(await ExportAsync(ExportFormat.Focus, org, "2026-11"));

        // Columns: every Mandatory one, each once; custom columns carry the x_ prefix; the conditional ones used are present.
        Assert.All(Mandatory, c => Assert.Contains(c, header));
        Assert.Equal(header.Length, header.Distinct().Count());
        Assert.All(header.Where(h => !Mandatory.Contains(h) && h is not ("ChargeFrequency" or "SubAccountId" or "SubAccountName" or "Tags")),
            h => Assert.StartsWith("x_", h));

        Assert.Equal(5, rows.Count);   // the confirmed rows now in November: 3 usage (one deferred in), the retainer, the seat
        foreach (var r in rows)
        {
            foreach (var money in new[] { "BilledCost", "EffectiveCost", "ListCost", "ContractedCost" })
                Assert.Matches(DecimalText, r[money]);   // not null, a plain decimal
            Assert.Equal(decimal.Parse(r["BilledCost"], CultureInfo.InvariantCulture), decimal.Parse(r["EffectiveCost"], CultureInfo.InvariantCulture));
            Assert.Equal("USD", r["BillingCurrency"]);
            foreach (var id in new[] { "BillingAccountId", "InvoiceIssuerName", "ProviderName", "PublisherName", "ServiceName", "ChargeDescription" })
                Assert.NotEqual("", r[id]);
            foreach (var t in new[] { "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd" })
                Assert.Matches(DateTimeUtc, r[t]);
            var (bs, be) = (DateTimeOffset.Parse(r["BillingPeriodStart"], CultureInfo.InvariantCulture), DateTimeOffset.Parse(r["BillingPeriodEnd"], CultureInfo.InvariantCulture));
            var (cs, ce) = (DateTimeOffset.Parse(r["ChargePeriodStart"], CultureInfo.InvariantCulture), DateTimeOffset.Parse(r["ChargePeriodEnd"], CultureInfo.InvariantCulture));
            Assert.Equal((1, TimeSpan.Zero), (bs.Day, bs.TimeOfDay));   // a calendar month, end exclusive
            Assert.Equal(bs.AddMonths(1), be);
            Assert.True(cs < ce, "ChargePeriodStart before ChargePeriodEnd");
            Assert.True(cs >= bs && ce <= be, $"charge period {cs:o}–{ce:o} inside the billing period {bs:o}–{be:o}");

            Assert.Contains(r["ChargeCategory"], ChargeCategories);
            Assert.True(r["ChargeClass"] is "" or "Correction");
            Assert.Contains(r["ChargeFrequency"], ChargeFrequencies);
            if (r["ChargeCategory"] == "Usage") Assert.NotEqual("One-Time", r["ChargeFrequency"]);
            Assert.Contains(r["ServiceCategory"], ServiceCategories);
            // PricingQuantity: null for Tax, present for Usage and Purchase; PricingUnit null exactly when the quantity is.
            if (r["ChargeCategory"] is "Usage" or "Purchase") Assert.Matches(DecimalText, r["PricingQuantity"]);
            if (r["ChargeCategory"] == "Tax") Assert.Equal("", r["PricingQuantity"]);
            Assert.Equal(r["PricingQuantity"] == "", r["PricingUnit"] == "");
            // SubAccountName only beside a SubAccountId; Tags a JSON object of strings.
            if (r["SubAccountId"] == "") Assert.Equal("", r["SubAccountName"]);
            if (r["Tags"] != "")
            {
                using var tags = JsonDocument.Parse(r["Tags"]);
                Assert.Equal(JsonValueKind.Object, tags.RootElement.ValueKind);
                Assert.All(tags.RootElement.EnumerateObject(), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
            }
            Assert.Equal("2026-11", r["x_FlowstateLedgerPeriod"]);
        }

        // Read back to the same totals: the file's BilledCost adds up to the CONFIRMED chip of the month.
        var confirmed = (await org.Period("2026-11").GetInboxAsync(new InboxQuery([RowStatus.Confirmed], null, 50, null))).Buckets.Single(b => b.Status == RowStatus.Confirmed);
        Assert.Equal(confirmed.Amount, rows.Sum(r => decimal.Parse(r["BilledCost"], CultureInfo.InvariantCulture)));
        Assert.Equal(confirmed.Count, rows.Count);

        var byRow = rows.ToDictionary(r => r["x_FlowstateRowId"]);
        var alice = byRow[GrainKeys.RowId("claude", "alice-1103")];
        Assert.Equal(("10", "12.5", "Usage", "Usage-Based", "2026-11-03T00:00:00Z", "2026-11-04T00:00:00Z"),
            (alice["BilledCost"], alice["ListCost"], alice["ChargeCategory"], alice["ChargeFrequency"], alice["ChargePeriodStart"], alice["ChargePeriodEnd"]));
        Assert.Equal("Claude usage, \"team\" plan, line 1", alice["ChargeDescription"]);
        Assert.Equal("Checked, \"ok\",\nsee ticket FIN-12", alice["x_FlowstateNote"]);
        Assert.Equal("""{"allocation":"platform-db=0.6;support=0.4","costCentre":"eng","person":"alice","team":"platform-db"}""", alice["Tags"]);
        var seat = byRow[GrainKeys.RowId("gong", "seat-2026-11-dave")];
        Assert.Equal(("Purchase", "Recurring", "Seats", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "Gong"),
            (seat["ChargeCategory"], seat["ChargeFrequency"], seat["PricingUnit"], seat["ChargePeriodStart"], seat["ChargePeriodEnd"], seat["ServiceName"]));
        Assert.Equal("""{"person":"dave"}""", seat["Tags"]);   // dave has no team
        var retainer = byRow[GrainKeys.RowId("gong", "retainer-2026-11")];
        Assert.Equal(("retainer", """{"account":"retainer"}""", "Retainer per the 2026 contract"), (retainer["SubAccountId"], retainer["Tags"], retainer["x_FlowstateNote"]));
        // Deferred in from October: billed (and charged) in October, confirmed in November's ledger.
        var deferred = byRow[GrainKeys.RowId("claude", "late-oct")];
        Assert.Equal(("2026-10-01T00:00:00Z", "2026-10-30T00:00:00Z", "2026-11"), (deferred["BillingPeriodStart"], deferred["ChargePeriodStart"], deferred["x_FlowstateLedgerPeriod"]));
    }

    [Fact]
    public async Task PlainCsv_OfRowsAndOfAttribution_AddUpToThePeriod()
    {
        var org = await LedgerAsync();
        var summary = await org.Period("2026-11").GetSummaryAsync();

        var (header, rows) = Read(await ExportAsync(ExportFormat.Rows, org, "2026-11"));
        Assert.Equal(["RowId", "ProviderId", "ExternalId", "SubjectKey", "Account", "UsageDate", "Kind", "Status", "TotalCostUsd", "ListCostUsd",
                      "ObservedCostUsd", "Delta", "ResidualCause", "Period", "DeferredFrom", "Note"], header);
        Assert.Equal(summary.RowCount, rows.Count);
        Assert.Equal(summary.Billed, rows.Sum(r => decimal.Parse(r["TotalCostUsd"], CultureInfo.InvariantCulture)));
        var open = rows.Single(r => r["ExternalId"] == "open");
        Assert.Equal(("UNRECONCILED", "p:carol", "PEOPLE_WITHOUT_TELEMETRY", "3"), (open["Status"], open["SubjectKey"], open["ResidualCause"], open["Delta"]));
        Assert.Equal("2026-10", rows.Single(r => r["ExternalId"] == "late-oct")["DeferredFrom"]);
        Assert.Equal("PROVIDERS_WITHOUT_TELEMETRY", rows.Single(r => r["ExternalId"] == "retainer-2026-11")["ResidualCause"]);

        var (sessionHeader, sessions) = Read(await ExportAsync(ExportFormat.Attribution, org, "2026-11"));
        Assert.Contains("CostCentreId", sessionHeader);
        Assert.Equal(["s1", "s2"], sessions.Select(s => s["SessionId"]));   // s3 started in October
        // Observed is the sessions plus the rows confirmed against the contract (the retainer and the seat, 2,600).
        Assert.Equal(summary.Observed - 2600m, sessions.Sum(s => decimal.Parse(s["CostUsd"], CultureInfo.InvariantCulture)));
        Assert.Equal(("bob", "platform", "eng", "platform=1"), (sessions[1]["PersonId"], sessions[1]["TeamId"], sessions[1]["CostCentreId"], sessions[1]["Allocation"]));

        // An empty period is a file with its header only.
        var (emptyHeader, none) = Read(await ExportAsync(ExportFormat.Focus, org, "2027-03"));
        Assert.Contains("BilledCost", emptyHeader);
        Assert.Empty(none);
    }

    [Fact]
    public async Task AnExportStreamedWhileActionsLand_IsTheSnapshotItStartedFrom()
    {
        cluster.Clock.Set(new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero));
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(Enumerable.Range(0, 30).Select(i => TestOrg.Session($"s{i:D2}", "alice", $"2026-11-{1 + i % 15:D2}T{i % 24:D2}:00:00Z", 1m + i)).ToArray());
        var bills = Enumerable.Range(0, 15).Select(d => TestOrg.BillRow($"r{d:D2}", "alice", $"2026-11-{1 + d:D2}", 0m)).ToArray();
        // Each day's bill equals that day's sessions, so every row auto-matches and can be confirmed.
        for (var d = 0; d < 15; d++)
            bills[d] = bills[d] with { TotalCostUsd = Enumerable.Range(0, 30).Where(i => i % 15 == d).Sum(i => 1m + i) };
        await org.BillAsync(bills);
        foreach (var d in Enumerable.Range(0, 15)) await org.Row($"r{d:D2}").ApplyActionAsync(new RowCommand(RowAction.Confirm, null, null, "fin"));
        var before = bills.Select(b => GrainKeys.RowId("claude", b.ExternalId!)).Order(StringComparer.Ordinal).ToList();

        var store = new ExportStore(_db);
        var seen = new List<LedgerRow>();
        await foreach (var row in store.LedgerAsync(org.Id, Period.Parse("2026-11"), confirmedOnly: true, pageSize: 4))
        {
            seen.Add(row);
            if (seen.Count != 1) continue;
            // While the first page is out: rows behind and ahead of the cursor are reopened.
            await org.Row("r00").ApplyActionAsync(new RowCommand(RowAction.Reopen, "recheck", null, "fin"));
            await org.Row("r09").ApplyActionAsync(new RowCommand(RowAction.Reopen, "recheck", null, "fin"));
        }
        Assert.Equal(before, seen.Select(r => r.RowId));
        Assert.All(seen, r => Assert.Equal(RowStatus.Confirmed, r.Status));
        // The next export sees the actions.
        var after = new List<string>();
        await foreach (var row in store.LedgerAsync(org.Id, Period.Parse("2026-11"), confirmedOnly: true, pageSize: 4)) after.Add(row.RowId);
        Assert.Equal(before.Except([GrainKeys.RowId("claude", "r00"), GrainKeys.RowId("claude", "r09")]), after);
    }

    [Fact]
    public async Task Endpoint_StreamsForAdminAndFinance_AndRefusesEveryoneElse_WithStableCodes()
    {
        var org = await LedgerAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(cluster.Grains);
        builder.Services.AddSingleton(new ExportStore(_db));
        await using var app = builder.Build();
        app.MapFlowstateExports(http => http.Request.Headers["X-Org"].ToString() is { Length: > 0 } o
            ? FlowstateCluster.As(o, http.Request.Headers["X-Roles"].ToString().Split(',')) : null);
        await app.StartAsync();
        var client = app.GetTestClient();

        async Task<(HttpStatusCode, string, HttpResponseMessage)> GetAsync(string url, string? roles)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (roles is not null) { request.Headers.Add("X-Org", org.Id); request.Headers.Add("X-Roles", roles); }
            var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
        }
        static string Code(string body) => JsonDocument.Parse(body).RootElement.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString()!;

        var link = (await org.DataAsync("""{ exportLink(period: "2026-11", format: FOCUS) { url format contentType focusVersion } }""")).GetProperty("exportLink");
        Assert.Equal(("/exports/focus?period=2026-11", "1.2"), (link.GetProperty("url").GetString(), link.GetProperty("focusVersion").GetString()));
        var engineer = await cluster.GraphQLAsync(FlowstateCluster.As(org.Id, "engineer"), """{ exportLink(period: "2026-11") { url } }""");
        Assert.Equal("FORBIDDEN", engineer.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("""{ exportLink(period: "Nov") { url } }"""));

        var (status, body, response) = await GetAsync(link.GetProperty("url").GetString()!, "finance");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("flowstate-focus-1.2-2026-11.csv", response.Content.Headers.ContentDisposition!.ToString());
        Assert.Equal(await ExportAsync(ExportFormat.Focus, org, "2026-11"), body);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/exports/rows?period=2026-11", "admin")).Item1);

        var (unauth, unauthBody, _) = await GetAsync("/exports/focus?period=2026-11", null);
        Assert.Equal((HttpStatusCode.Unauthorized, "UNAUTHENTICATED"), (unauth, Code(unauthBody)));
        var (forbidden, forbiddenBody, _) = await GetAsync("/exports/focus?period=2026-11", "engineer,manager");
        Assert.Equal((HttpStatusCode.Forbidden, "FORBIDDEN"), (forbidden, Code(forbiddenBody)));
        var (bad, badBody, _) = await GetAsync("/exports/focus?period=November", "finance");
        Assert.Equal((HttpStatusCode.BadRequest, "INVALID_INPUT"), (bad, Code(badBody)));
        var (missing, missingBody, _) = await GetAsync("/exports/pdf?period=2026-11", "finance");
        Assert.Equal((HttpStatusCode.NotFound, "NOT_FOUND"), (missing, Code(missingBody)));
        await app.StopAsync();
    }
}
