using System.Text.Json;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Workforce;

namespace Flowstate.Tests.Infrastructure;

/// <summary>A fresh org in the shared cluster, with helpers to feed it and read it back.</summary>
public sealed class TestOrg(FlowstateCluster cluster)
{
    public string Id { get; } = "org-" + Guid.NewGuid().ToString("N")[..10];
    public FlowstateCluster Cluster => cluster;
    public IGrainFactory Grains => cluster.Grains;

    public static async Task<TestOrg> CreateAsync(FlowstateCluster cluster, decimal discount = 0m, decimal included = 0m)
    {
        var org = new TestOrg(cluster);
        await org.Provider("claude").ConfigureAsync(new ProviderConfig("claude", "Claude API", "chat", new ProviderPlan(0, included, discount),
            [new ModelPrice("sonnet", 3m, 15m, 0.3m, new DateOnly(2025, 1, 1))], MatchTolerance.Default));
        await org.Grains.GetGrain<IOrgGrain>(org.Id).UpsertWorkforceAsync(new WorkforceUpsert([], [],
            [new Person("alice", "alice@acme.example", "Alice", PersonKind.Employee, []),
             new Person("bob", "bob@acme.example", "Bob", PersonKind.Employee, [])], [], []));
        return org;
    }

    /// <summary>
    /// A small org chart: eng: platform (bob 1.0, carol 0.5, the rest unallocated) ⊃ platform-db
    /// (alice 0.6); ops: support (alice 0.4); dave has no allocation at all. Allocations from 2026-01-01.
    /// </summary>
    public Task UseSmallWorkforceAsync(IEnumerable<Person>? morePeople = null, IEnumerable<Project>? projects = null)
    {
        var from = new DateOnly(2026, 1, 1);
        return Grains.GetGrain<IOrgGrain>(Id).UpsertWorkforceAsync(new WorkforceUpsert(
            [new CostCentre("eng", "Engineering"), new CostCentre("ops", "Operations")],
            [new Team("platform", "Platform", null, "eng", null), new Team("platform-db", "Platform DB", "platform", null, null),
             new Team("support", "Support", null, "ops", null)],
            [new Person("alice", "alice@acme.example", "Alice", PersonKind.Employee, [new Allocation("platform-db", 0.6m, from), new Allocation("support", 0.4m, from)]),
             new Person("bob", "bob@acme.example", "Bob", PersonKind.Employee, [new Allocation("platform", 1m, from)]),
             new Person("carol", "carol@acme.example", "Carol", PersonKind.Contractor, [new Allocation("platform", 0.5m, from)]),
             new Person("dave", "dave@acme.example", "Dave", PersonKind.Employee, []),
             .. morePeople ?? []],
            (projects ?? [new Project("web", "Web app", ["github.com/acme/web"])]).ToList(), []));
    }

    public IProviderGrain Provider(string id) => Grains.GetGrain<IProviderGrain>(GrainKeys.Join(Id, id));
    public IIngestionGrain Ingestion => Grains.GetGrain<IIngestionGrain>(Id);
    public IPeriodGrain Period(string period) => Grains.GetGrain<IPeriodGrain>(GrainKeys.Join(Id, period));
    public IBillingRowGrain Row(string externalId, string provider = "claude") => Grains.GetGrain<IBillingRowGrain>(GrainKeys.Row(Id, GrainKeys.RowId(provider, externalId)));

    public static BillingRowRequest BillRow(string externalId, string? subject, string day, decimal total,
        BillingRowKind kind = BillingRowKind.Usage, string? account = null) =>
        new(externalId, subject, account, DateOnly.Parse(day), total, null, kind, null, []);

    /// <summary>A session costing exactly <paramref name="cost"/> (reported by the agent).</summary>
    public static SessionRequest Session(string id, string subject, string startedAt, decimal cost, string? apiKey = null) =>
        new(id, subject, "claude", "sonnet", DateTimeOffset.Parse(startedAt), null, 1000, 200, 0, 3, cost, apiKey, null, null, 0.1, []);

    public Task<IngestResult> BillAsync(params BillingRowRequest[] rows) => Ingestion.IngestBillingRowsAsync("claude", rows);
    public Task<IngestResult> ObserveAsync(params SessionRequest[] sessions) => Ingestion.IngestSessionsAsync(sessions);

    public async Task<BillingRowView> GetRowAsync(string externalId) => (await Row(externalId).GetAsync())!;

    public Task<JsonElement> GraphQLAsync(string query, object? variables = null) => cluster.GraphQLAsync(Id, query, variables);

    public async Task<JsonElement> DataAsync(string query, object? variables = null)
    {
        var response = await GraphQLAsync(query, variables);
        Assert.False(response.TryGetProperty("errors", out var errors), errors.ToString());
        return response.GetProperty("data");
    }

    public async Task<string> ErrorCodeAsync(string query, object? variables = null)
    {
        var response = await GraphQLAsync(query, variables);
        Assert.True(response.TryGetProperty("errors", out var errors), "expected an error, got " + response);
        return errors[0].GetProperty("extensions").GetProperty("code").GetString()!;
    }
}
