using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Flowstate.Demo.Sandbox;

/// <summary>
/// A local stand-in for the four providers' admin APIs (OpenAI costs and API keys, Anthropic cost
/// and Claude Code reports, Enterprise Analytics per-user cost, Cursor usage events and spend, GitHub Copilot seats and AI-credit
/// usage), in the documented shapes of <c>fixtures/providers/FORMATS.md</c>, with their paging.
/// A real HTTP listener on loopback (port 0 unless told): the connectors reach it exactly as they
/// reach the providers. Scripted <see cref="SandboxFault"/>s make it fail on cue.
/// </summary>
public sealed class ProviderSandbox : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<SandboxFault> _faults = new();
    private readonly object _gate = new();
    private CursorEvent[]? _sortedEvents;
    private List<CursorEvent>? _sortedFrom;

    public SandboxData Data { get; }
    public Uri BaseUrl { get; private set; } = null!;
    /// <summary>Requests served, by path.</summary>
    public ConcurrentDictionary<string, int> Requests { get; } = new();

    private ProviderSandbox(WebApplication app, SandboxData data) { _app = app; Data = data; }

    public static async Task<ProviderSandbox> StartAsync(SandboxData? data = null, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var sandbox = new ProviderSandbox(app, data ?? new SandboxData());
        sandbox.Map(app);
        await app.StartAsync();
        sandbox.BaseUrl = new Uri(app.Urls.First().Replace("127.0.0.1", "127.0.0.1", StringComparison.Ordinal) + "/");
        return sandbox;
    }

    /// <summary>Queues a scripted failure (faults are tried in the order queued).</summary>
    public void Fail(SandboxFault fault) => _faults.Enqueue(fault);

    public void ClearFaults() => _faults.Clear();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/v1/organization/costs", ctx => Serve(ctx, TokenPage(ctx), OpenAiCosts));
        app.MapGet("/v1/organization/projects/{project}/api_keys", ctx => Serve(ctx, 1, OpenAiKeys));
        app.MapGet("/v1/organizations/cost_report", ctx => Serve(ctx, TokenPage(ctx), AnthropicCosts));
        app.MapGet("/v1/organizations/usage_report/claude_code", ctx => Serve(ctx, TokenPage(ctx), ClaudeCode));
        app.MapGet("/v1/organizations/analytics/user_cost_report", async ctx =>
        {
            if (Data.AnthropicAnalyticsStatus != 200)
            {
                Requests.AddOrUpdate(ctx.Request.Path.Value ?? "", 1, (_, n) => n + 1);
                await Write(ctx, Data.AnthropicAnalyticsStatus, "application/json",
                    $$$"""{"type":"error","error":{"type":"{{{(Data.AnthropicAnalyticsStatus == 404 ? "not_found_error" : "permission_error")}}}","message":"This organization does not have access to the Analytics API"}}""");
                return;
            }
            await Serve(ctx, TokenPage(ctx), AnthropicUserCosts);
        });
        app.MapPost("/teams/filtered-usage-events", async ctx => { var body = await Body(ctx); await Serve(ctx, Int(body, "page", 1), (c, w) => CursorEvents(body, w)); });
        app.MapPost("/teams/spend", async ctx => { var body = await Body(ctx); await Serve(ctx, Int(body, "page", 1), (c, w) => CursorSpend(body, w)); });
        app.MapGet("/orgs/{org}/copilot/billing/seats", ctx => Serve(ctx, QueryInt(ctx, "page", 1), CopilotSeats));
        app.MapGet("/organizations/{org}/settings/billing/ai_credit/usage", ctx => Serve(ctx, 1, CopilotUsage));
        app.MapGet("/organizations/{org}/settings/billing/premium_request/usage", ctx => Serve(ctx, 1, CopilotUsage));
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    private async Task Serve(HttpContext ctx, int page, Action<HttpContext, Utf8JsonWriter> write)
    {
        var path = ctx.Request.Path.Value ?? "";
        Requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (!Authorized(ctx, path))
        {
            await Write(ctx, 401, "application/json", """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}""");
            return;
        }
        if (TakeFault(path, page) is { } fault)
        {
            if (fault.Delay > TimeSpan.Zero)
                try { await Task.Delay(fault.Delay, ctx.RequestAborted); } catch (OperationCanceledException) { return; }
            if (fault.Status != 0)
            {
                if (fault.RetryAfter is not null) ctx.Response.Headers.RetryAfter = fault.RetryAfter;
                await Write(ctx, fault.Status, fault.ContentType, fault.Body ?? $$"""{"error":"sandbox fault {{fault.Status}}"}""");
                return;
            }
        }
        ctx.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        await using (var w = new Utf8JsonWriter(buffer))
            lock (_gate) write(ctx, w);
        buffer.Position = 0;
        await buffer.CopyToAsync(ctx.Response.Body);
    }

    private SandboxFault? TakeFault(string path, int page)
    {
        lock (_faults)
        {
            var all = _faults.ToArray();
            for (var i = 0; i < all.Length; i++)
            {
                var f = all[i];
                if (!path.Contains(f.Path, StringComparison.Ordinal) || f.Page is { } p && p != page) continue;
                _faults.Clear();
                for (var j = 0; j < all.Length; j++)
                    if (j != i) _faults.Enqueue(all[j]);
                    else if (f.Times > 1) _faults.Enqueue(f with { Times = f.Times - 1 });
                return f;
            }
            return null;
        }
    }

    private bool Authorized(HttpContext ctx, string path)
    {
        var h = ctx.Request.Headers;
        if (path.StartsWith("/v1/organization/", StringComparison.Ordinal)) return h.Authorization == $"Bearer {Data.OpenAiKey}";
        if (path.StartsWith("/v1/organizations/", StringComparison.Ordinal)) return h["x-api-key"] == Data.AnthropicKey && h["anthropic-version"].Count == 1;
        if (path.StartsWith("/teams/", StringComparison.Ordinal))
            return h.Authorization == "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Data.CursorKey + ":"));
        return h.Authorization == $"Bearer {Data.GitHubToken}";
    }

    private static async Task Write(HttpContext ctx, int status, string type, string body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = type;
        await ctx.Response.WriteAsync(body);
    }

    private static async Task<JsonElement> Body(HttpContext ctx)
    {
        using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
        return doc.RootElement.Clone();
    }

    private static int Int(JsonElement body, string name, int fallback) => body.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : fallback;
    private static long Long(JsonElement body, string name) => body.GetProperty(name).GetInt64();
    private static int QueryInt(HttpContext ctx, string name, int fallback) => int.TryParse(ctx.Request.Query[name], out var n) ? n : fallback;
    private static int TokenPage(HttpContext ctx) => ctx.Request.Query["page"].ToString() is { Length: > 5 } t && t.StartsWith("page_", StringComparison.Ordinal) ? int.Parse(t[5..], CultureInfo.InvariantCulture) : 1;
    private static DateTimeOffset Unix(HttpContext ctx, string name) => DateTimeOffset.FromUnixTimeSeconds(long.Parse(ctx.Request.Query[name]!, CultureInfo.InvariantCulture));
    private static DateOnly Day(DateTimeOffset t) => DateOnly.FromDateTime(t.UtcDateTime);
    private static string Iso(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Day buckets [start, end) cut at UTC midnights, one page of them, with the next page's token.</summary>
    private (List<(DateTimeOffset Start, DateTimeOffset End)> Buckets, string? Next) BucketPage(DateTimeOffset start, DateTimeOffset end, int page, int limit)
    {
        var all = new List<(DateTimeOffset, DateTimeOffset)>();
        for (var s = start; s < end;)
        {
            var e = new DateTimeOffset(Day(s).AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            if (e > end) e = end;
            all.Add((s, e));
            s = e;
        }
        var size = Math.Max(1, Math.Min(limit, Data.BucketsPerPage));
        var slice = all.Skip((page - 1) * size).Take(size).ToList();
        return (slice, page * size < all.Count ? $"page_{page + 1}" : null);
    }

    /// <summary>Closes a page of day buckets: the data array, then has_more and next_page.</summary>
    private static void EndBucketPage(Utf8JsonWriter w, string? next)
    {
        w.WriteEndArray();
        w.WriteBoolean("has_more", next is not null);
        if (next is null) w.WriteNull("next_page"); else w.WriteString("next_page", next);
        w.WriteEndObject();
    }

    // ---- OpenAI ---------------------------------------------------------------------------------------------

    private void OpenAiCosts(HttpContext ctx, Utf8JsonWriter w)
    {
        var start = Unix(ctx, "start_time").AddSeconds(Data.OpenAiFirstBucketOffsetSeconds);
        var end = ctx.Request.Query.ContainsKey("end_time") ? Unix(ctx, "end_time") : DateTimeOffset.UtcNow;
        var (buckets, next) = BucketPage(start, end, TokenPage(ctx), QueryInt(ctx, "limit", 7));
        w.WriteStartObject();
        w.WriteString("object", "page");
        w.WriteStartArray("data");
        foreach (var (s, e) in buckets)
        {
            w.WriteStartObject();
            w.WriteString("object", "bucket");
            w.WriteNumber("start_time", s.ToUnixTimeSeconds());
            w.WriteNumber("end_time", e.ToUnixTimeSeconds());
            w.WriteStartArray("results");
            foreach (var c in Data.OpenAiCosts.Where(c => c.Day == Day(s)))
            {
                w.WriteStartObject();
                w.WriteString("object", "organization.costs.result");
                w.WriteStartObject("amount");
                w.WritePropertyName("value"); w.WriteRawValue(c.AmountJson);
                w.WriteString("currency", c.Currency);
                w.WriteEndObject();
                w.WriteString("line_item", c.LineItem);
                w.WriteString("project_id", c.Project);
                if (c.ApiKey is null) w.WriteNull("api_key_id"); else w.WriteString("api_key_id", c.ApiKey);
                w.WriteNumber("quantity", 1000);
                w.WriteString("quantity_unit", "tokens");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        EndBucketPage(w, next);
    }

    private void OpenAiKeys(HttpContext ctx, Utf8JsonWriter w)
    {
        var project = (string)ctx.Request.RouteValues["project"]!;
        var keys = Data.OpenAiKeys.Where(k => k.Project == project).ToList();
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var k in keys)
        {
            w.WriteStartObject();
            w.WriteString("object", "organization.project.api_key");
            w.WriteString("id", k.Id);
            w.WriteString("name", $"{k.Id} key");
            w.WriteStartObject("owner");
            if (k.OwnerEmail is null) { w.WriteString("type", "service_account"); w.WriteStartObject("service_account"); w.WriteString("id", "svc_" + k.Id); w.WriteEndObject(); }
            else { w.WriteString("type", "user"); w.WriteStartObject("user"); w.WriteString("id", "user-" + k.Id); w.WriteString("email", k.OwnerEmail); w.WriteEndObject(); }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("first_id", keys.FirstOrDefault()?.Id);
        w.WriteString("last_id", keys.LastOrDefault()?.Id);
        w.WriteBoolean("has_more", false);
        w.WriteEndObject();
    }

    // ---- Anthropic ------------------------------------------------------------------------------------------

    private void AnthropicCosts(HttpContext ctx, Utf8JsonWriter w)
    {
        var start = DateTimeOffset.Parse(ctx.Request.Query["starting_at"]!, CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(ctx.Request.Query["ending_at"]!, CultureInfo.InvariantCulture);
        var (buckets, next) = BucketPage(start, end, TokenPage(ctx), QueryInt(ctx, "limit", 7));
        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var (s, e) in buckets)
        {
            w.WriteStartObject();
            w.WriteString("starting_at", s.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteString("ending_at", e.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteStartArray("results");
            foreach (var c in Data.AnthropicCosts.Where(c => c.Day == Day(s)))
            {
                w.WriteStartObject();
                w.WritePropertyName("amount"); w.WriteRawValue(c.AmountJson);
                w.WriteString("context_window", "0-200k");
                w.WriteString("cost_type", "tokens");
                w.WriteString("currency", c.Currency);
                w.WriteString("description", c.Description);
                w.WriteNull("inference_geo");
                w.WriteString("model", "claude-sonnet-4-5-20250929");
                w.WriteString("service_tier", "standard");
                w.WriteString("token_type", "output_tokens");
                if (c.Workspace is null) w.WriteNull("workspace_id"); else w.WriteString("workspace_id", c.Workspace);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        EndBucketPage(w, next);
    }

    /// <summary>
    /// <c>user_cost_report</c> with <c>bucket_width=1d</c>: one row per user, day and product in
    /// [starting_at, ending_at), biggest amount first within a day, paged by opaque tokens.
    /// </summary>
    private void AnthropicUserCosts(HttpContext ctx, Utf8JsonWriter w)
    {
        var start = Day(DateTimeOffset.Parse(ctx.Request.Query["starting_at"]!, CultureInfo.InvariantCulture));
        var end = Day(DateTimeOffset.Parse(ctx.Request.Query["ending_at"]!, CultureInfo.InvariantCulture));
        var bucketed = ctx.Request.Query["bucket_width"] == "1d";
        var size = Math.Max(1, Math.Min(QueryInt(ctx, "limit", 20), Data.AnthropicUserCostsPerPage));
        var page = TokenPage(ctx);
        var rows = Data.AnthropicUserCosts.Where(r => r.Day >= start && r.Day < end)
            .OrderBy(r => r.Day).ThenByDescending(r => decimal.Parse(r.AmountJson.Trim('"'), NumberStyles.Float, CultureInfo.InvariantCulture)).ThenBy(r => r.UserId, StringComparer.Ordinal)
            .ToList();
        var more = page * size < rows.Count;
        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var r in rows.Skip((page - 1) * size).Take(size))
        {
            w.WriteStartObject();
            w.WriteStartObject("actor");
            w.WriteString("type", "user_actor");
            w.WriteString("user_id", r.UserId);
            if (r.Email is null) w.WriteNull("email_address"); else w.WriteString("email_address", r.Email);
            if (r.Email is null) w.WriteString("name", "Deleted User"); else w.WriteString("name", r.Email.Split('@')[0]);
            w.WriteBoolean("deleted", r.Email is null);
            w.WriteEndObject();
            w.WritePropertyName("amount"); w.WriteRawValue(r.AmountJson);
            w.WritePropertyName("list_amount"); w.WriteRawValue(r.ListAmountJson);
            w.WriteString("currency", r.Currency);
            w.WriteNumber("requests", r.Requests);
            if (bucketed)
            {
                w.WriteString("starting_at", Iso(r.Day) + "T00:00:00Z");
                w.WriteString("ending_at", Iso(r.Day.AddDays(1)) + "T00:00:00Z");
            }
            else { w.WriteNull("starting_at"); w.WriteNull("ending_at"); }
            w.WriteString("product", r.Product);
            foreach (var dim in new[] { "model", "context_window", "inference_geo", "speed", "cost_type", "token_type", "rbac_group_id", "slack_channel_id", "claude_tag_category", "claude_tag_user_id" })
                w.WriteNull(dim);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteBoolean("has_more", more);
        if (more) w.WriteString("next_page", $"page_{page + 1}"); else w.WriteNull("next_page");
        w.WriteString("data_refreshed_at", Iso(end) + "T10:00:00Z");
        w.WriteEndObject();
    }

    private void ClaudeCode(HttpContext ctx, Utf8JsonWriter w)
    {
        var day = DateOnly.ParseExact(ctx.Request.Query["starting_at"]!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var limit = QueryInt(ctx, "limit", 20);
        var page = TokenPage(ctx);
        var records = Data.ClaudeCode.Where(r => r.Day == day).OrderBy(r => r.Email, StringComparer.Ordinal).ToList();
        var slice = records.Skip((page - 1) * limit).Take(limit);
        var more = page * limit < records.Count;
        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var r in slice)
        {
            w.WriteStartObject();
            w.WriteString("date", Iso(r.Day) + "T00:00:00Z");
            w.WriteStartObject("actor"); w.WriteString("type", "user_actor"); w.WriteString("email_address", r.Email); w.WriteEndObject();
            w.WriteString("organization_id", "5b2f8c1e-7a4d-4e0b-9c3a-2d6f1e8b7a90");
            w.WriteString("customer_type", "api");
            w.WriteString("terminal_type", "vscode");
            w.WriteStartObject("core_metrics"); w.WriteNumber("num_sessions", 3); w.WriteEndObject();
            w.WriteStartObject("tool_actions"); w.WriteEndObject();
            w.WriteStartArray("model_breakdown");
            w.WriteStartObject();
            w.WriteString("model", r.Model);
            w.WriteStartObject("tokens"); w.WriteNumber("input", 1000); w.WriteNumber("output", 400); w.WriteNumber("cache_read", 0); w.WriteNumber("cache_creation", 0); w.WriteEndObject();
            w.WriteStartObject("estimated_cost"); w.WriteString("currency", "USD"); w.WriteNumber("amount", r.EstimatedCents); w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteBoolean("has_more", more);
        if (more) w.WriteString("next_page", $"page_{page + 1}"); else w.WriteNull("next_page");
        w.WriteEndObject();
    }

    // ---- Cursor ---------------------------------------------------------------------------------------------

    /// <summary>The events newest first (Cursor's order), sorted once per list the data holds.</summary>
    private CursorEvent[] SortedEvents()
    {
        if (_sortedEvents is null || !ReferenceEquals(_sortedFrom, Data.CursorEvents))
        {
            _sortedEvents = Data.CursorEvents.OrderByDescending(e => e.TimestampMs).ThenBy(e => e.Email, StringComparer.Ordinal).ToArray();
            _sortedFrom = Data.CursorEvents;
        }
        return _sortedEvents;
    }

    private void CursorEvents(JsonElement body, Utf8JsonWriter w)
    {
        var (start, end) = (Long(body, "startDate"), Long(body, "endDate"));
        var page = Int(body, "page", 1);
        var size = Math.Clamp(Int(body, "pageSize", 100), 1, 1000);
        var sorted = SortedEvents();
        // Newest first: the range is a contiguous run of the array.
        var first = LowerBound(sorted, end);
        var last = LowerBound(sorted, start - 1);
        var count = last - first;
        var pages = Math.Max(1, (count + size - 1) / size);
        w.WriteStartObject();
        w.WriteNumber("totalUsageEventsCount", count);
        w.WriteStartObject("pagination");
        w.WriteNumber("numPages", pages); w.WriteNumber("currentPage", page); w.WriteNumber("pageSize", size);
        w.WriteBoolean("hasNextPage", page < pages); w.WriteBoolean("hasPreviousPage", page > 1);
        w.WriteEndObject();
        w.WriteStartArray("usageEvents");
        for (var i = first + (page - 1) * size; i < Math.Min(last, first + page * size); i++)
        {
            var e = sorted[i];
            w.WriteStartObject();
            w.WriteString("timestamp", e.TimestampMs.ToString(CultureInfo.InvariantCulture));
            w.WriteString("userEmail", e.Email);
            w.WriteString("model", e.Model);
            w.WriteString("kind", "Usage-based");
            w.WriteBoolean("maxMode", false);
            w.WriteBoolean("isTokenBasedCall", true);
            w.WriteBoolean("isChargeable", true);
            w.WritePropertyName("chargedCents"); w.WriteRawValue(e.ChargedCentsJson);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("period"); w.WriteNumber("startDate", start); w.WriteNumber("endDate", end); w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Index of the first event (newest first) at or before <paramref name="ms"/>.</summary>
    private static int LowerBound(CursorEvent[] sorted, long ms)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid].TimestampMs > ms) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private void CursorSpend(JsonElement body, Utf8JsonWriter w)
    {
        var page = Int(body, "page", 1);
        var size = Math.Clamp(Int(body, "pageSize", 100), 1, 1000);
        var members = Data.CursorEvents.Where(e => e.TimestampMs >= Data.CursorCycleStartMs)
            .GroupBy(e => e.Email, StringComparer.Ordinal)
            .Select(g => (Email: g.Key, Cents: g.Sum(e => decimal.Parse(e.ChargedCentsJson, NumberStyles.Float, CultureInfo.InvariantCulture)) + Data.CursorSpendSkew.GetValueOrDefault(g.Key)))
            .OrderBy(m => m.Email, StringComparer.Ordinal).ToList();
        var pages = Math.Max(1, (members.Count + size - 1) / size);
        w.WriteStartObject();
        w.WriteStartArray("teamMemberSpend");
        foreach (var m in members.Skip((page - 1) * size).Take(size))
        {
            w.WriteStartObject();
            w.WriteString("userId", "user_" + Convert.ToHexString(Encoding.UTF8.GetBytes(m.Email))[..Math.Min(24, m.Email.Length * 2)]);
            w.WriteNumber("spendCents", m.Cents);
            w.WriteNumber("overallSpendCents", m.Cents + 2000m);
            w.WriteNumber("fastPremiumRequests", 0);
            w.WriteString("name", m.Email.Split('@')[0]);
            w.WriteString("email", m.Email);
            w.WriteString("role", "member");
            w.WriteNumber("hardLimitOverrideDollars", 0);
            w.WriteNull("monthlyLimitDollars");
            w.WriteNumber("effectivePerUserLimitDollars", 100);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("subscriptionCycleStart", Data.CursorCycleStartMs);
        w.WriteNumber("totalMembers", members.Count);
        w.WriteNumber("totalPages", pages);
        w.WriteEndObject();
    }

    // ---- GitHub Copilot -------------------------------------------------------------------------------------

    private void CopilotSeats(HttpContext ctx, Utf8JsonWriter w)
    {
        var page = QueryInt(ctx, "page", 1);
        var size = Math.Clamp(Math.Min(QueryInt(ctx, "per_page", 50), Data.CopilotSeatsPerPage), 1, 100);
        var seats = Data.CopilotSeats;
        var pages = Math.Max(1, (seats.Count + size - 1) / size);
        if (page < pages)
            ctx.Response.Headers.Link = $"<{BaseUrl.GetLeftPart(UriPartial.Authority)}{ctx.Request.Path}?per_page={size}&page={page + 1}>; rel=\"next\", " +
                                        $"<{BaseUrl.GetLeftPart(UriPartial.Authority)}{ctx.Request.Path}?per_page={size}&page={pages}>; rel=\"last\"";
        w.WriteStartObject();
        w.WriteNumber("total_seats", seats.Count);
        w.WriteStartArray("seats");
        foreach (var s in seats.Skip((page - 1) * size).Take(size))
        {
            w.WriteStartObject();
            w.WriteString("created_at", s.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            w.WriteString("updated_at", s.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            if (s.PendingCancellation is { } c) w.WriteString("pending_cancellation_date", Iso(c)); else w.WriteNull("pending_cancellation_date");
            if (s.LastActivityAt is { } a)
            {
                w.WriteString("last_activity_at", a.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                w.WriteString("last_activity_editor", "vscode/1.104.1/copilot-chat/0.31.3");
            }
            else { w.WriteNull("last_activity_at"); w.WriteNull("last_activity_editor"); }
            w.WriteString("plan_type", s.Plan);
            w.WriteStartObject("assignee"); w.WriteString("login", s.Login); w.WriteNumber("id", Math.Abs(s.Login.GetHashCode() % 90000000)); w.WriteString("type", "User"); w.WriteEndObject();
            w.WriteNull("assigning_team");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void CopilotUsage(HttpContext ctx, Utf8JsonWriter w)
    {
        var year = QueryInt(ctx, "year", DateTime.UtcNow.Year);
        var month = QueryInt(ctx, "month", DateTime.UtcNow.Month);
        var user = ctx.Request.Query["user"].ToString();
        var items = Data.CopilotUsage.Where(u => u.Year == year && u.Month == month && (user.Length == 0 || u.Login.Equals(user, StringComparison.OrdinalIgnoreCase)))
            .GroupBy(u => u.Model, StringComparer.Ordinal)
            .Select(g => (Model: g.Key, Gross: g.Sum(u => u.GrossCredits), Discount: g.Sum(u => u.DiscountCredits))).ToList();
        w.WriteStartObject();
        w.WriteStartObject("timePeriod"); w.WriteNumber("year", year); w.WriteNumber("month", month); w.WriteEndObject();
        w.WriteString("organization", (string)ctx.Request.RouteValues["org"]!);
        if (user.Length > 0) w.WriteString("user", user);
        w.WriteStartArray("usageItems");
        foreach (var i in items)
        {
            w.WriteStartObject();
            w.WriteString("product", "Copilot");
            w.WriteString("sku", "Copilot AI Credits");
            w.WriteString("model", i.Model);
            w.WriteString("unitType", "credits");
            w.WriteNumber("pricePerUnit", 0.01m);
            w.WriteNumber("grossQuantity", i.Gross);
            w.WriteNumber("grossAmount", i.Gross * 0.01m);
            w.WriteNumber("discountQuantity", i.Discount);
            w.WriteNumber("discountAmount", i.Discount * 0.01m);
            w.WriteNumber("netQuantity", i.Gross - i.Discount);
            w.WriteNumber("netAmount", (i.Gross - i.Discount) * 0.01m);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
