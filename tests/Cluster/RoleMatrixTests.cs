using System.Text;
using System.Text.Json;
using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Types;
using Flowstate.Tests.Infrastructure;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.Tests.Cluster;

/// <summary>
/// The role matrix (DESIGN §7), derived from the schema: every root query, mutation and subscription
/// field has a rule in <see cref="Access"/>, and every role either gets data or gets FORBIDDEN as
/// that rule says; a forbidden call changes nothing. A new root field without a rule fails here.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RoleMatrixTests(FlowstateCluster cluster)
{
    private const string Period = "2026-11";

    /// <summary>Calls that reach real data of the test org; a field without one gets arguments generated from its schema.</summary>
    private static readonly Dictionary<string, string> Samples = new()
    {
        ["Query.reconciliation"] = """reconciliation(period: "2026-11") { summary { billed } }""",
        ["Query.billingRow"] = """billingRow(id: "claude/r1") { id }""",
        ["Query.attribution"] = """attribution(asOf: "2026-11-20") { total }""",
        ["Query.sessions"] = """sessions(asOf: "2026-11-20") { totalCount }""",
        ["Query.session"] = """session(id: "s1") { id }""",
        ["Query.myUsage"] = """myUsage(personId: "alice", asOf: "2026-11-20") { sessionCount }""",
        ["Mutation.applyRowAction"] = """applyRowAction(input: { rowId: "claude/r1", action: WRITE_OFF, note: "matrix" }) { row { status } }""",
        ["Mutation.ingestBillingRows"] = """ingestBillingRows(input: { providerId: "claude", rows: [{ externalId: "m1", usageDate: "2026-11-04", totalCostUsd: "5" }] }) { accepted }""",
        ["Mutation.ingestSessions"] = """ingestSessions(input: { sessions: [{ id: "m1", subject: "bob", providerId: "claude", model: "sonnet", startedAt: "2026-11-04T10:00:00Z", inputTokens: 10, outputTokens: 5 }] }) { accepted }""",
        ["Mutation.configureProvider"] = """configureProvider(input: { id: "matrix", name: "Matrix" }) { id }""",
        ["Mutation.upsertWorkforce"] = """upsertWorkforce(input: { people: [{ id: "mallory", name: "Mallory" }] }) { people }""",
        ["Mutation.markSessionProject"] = """markSessionProject(input: { sessionId: "s1", projectId: "web" }) { id }""",
        ["Subscription.periodSummaryChanged"] = """periodSummaryChanged(period: "2026-11") { billed }""",
        ["Subscription.rowStatusChanged"] = """rowStatusChanged(period: "2026-11") { cursor }""",
    };

    [Fact]
    public void EveryRootField_HasARule()
    {
        var missing = RootFields().Where(f => !Access.Rules.ContainsKey(f.Key)).Select(f => f.Key).ToList();
        Assert.True(missing.Count == 0, $"root fields without a rule in graphql/Schema/Access.cs: {string.Join(", ", missing)}");
        var stale = Access.Rules.Keys.Except(RootFields().Select(f => f.Key)).ToList();
        Assert.True(stale.Count == 0, $"rules for fields the schema does not have: {string.Join(", ", stale)}");
    }

    [Fact]
    public async Task EveryRole_GetsDataOrForbidden_AsTheRuleSays_AndAForbiddenCallChangesNothing()
    {
        var org = await SeedAsync();
        var fields = RootFields().ToList();
        var outcomes = new StringBuilder();
        foreach (var (key, operation, field) in fields)
        {
            var allowed = Access.Rules.GetValueOrDefault(key) ?? [];
            var before = await FingerprintAsync(org);
            // Refused roles first: the org must be exactly as it was after all of them.
            foreach (var role in Roles.All.Where(r => !allowed.Contains(r)))
            {
                var codes = await CallAsync(org, role, operation, field, key);
                Assert.True(codes.Contains(ErrorCodes.Forbidden), $"{role} calling {key}: expected FORBIDDEN, got [{string.Join(", ", codes)}]");
            }
            Assert.Equal(before, await FingerprintAsync(org));
            foreach (var role in allowed)
            {
                var codes = await CallAsync(org, role, operation, field, key);
                Assert.False(codes.Contains(ErrorCodes.Forbidden) || codes.Contains(ErrorCodes.Unauthenticated),
                    $"{role} calling {key}: expected data, got [{string.Join(", ", codes)}]");
            }
            outcomes.Append($"{key}: {string.Join(",", allowed)}; ");
        }
        Assert.True(fields.Count >= 16, $"{fields.Count} root fields");
        Console.WriteLine($"role matrix: {fields.Count} root fields × {Roles.All.Count} roles = {fields.Count * Roles.All.Count} checks. {outcomes}");
    }

    [Fact]
    public async Task ACallerWithoutAnIdentity_IsRefusedEveryField()
    {
        var executer = cluster.GraphQLServices.GetRequiredService<global::GraphQL.IDocumentExecuter<ISchema>>();
        var result = await executer.ExecuteAsync(new global::GraphQL.ExecutionOptions { Query = "{ providers { id } }", RequestServices = cluster.GraphQLServices });
        Assert.False(result.Executed);
        Assert.Equal(ErrorCodes.Unauthenticated, Assert.Single(result.Errors!).Code);
    }

    [Fact]
    public async Task AFieldReachedThroughAFragment_IsCheckedToo()
    {
        var org = await SeedAsync();
        var json = await cluster.GraphQLAsync(FlowstateCluster.As(org.Id, Roles.Engineer),
            "query { ...Sneaky } fragment Sneaky on Query { reconciliation(period: \"2026-11\") { summary { billed } } }");
        Assert.Contains(ErrorCodes.Forbidden, Codes(json));
    }

    private async Task<List<string>> CallAsync(TestOrg org, string role, string operation, string field, string key)
    {
        var caller = new FlowstateUserContext
        {
            Org = org.Id, Actor = $"{role}@{org.Id}", Roles = new HashSet<string> { role }, Person = "alice", Teams = ["platform"],
        };
        var query = $"{operation} {{ {field} }}";
        if (operation != "subscription") return Codes(await cluster.GraphQLAsync(caller, query));
        using var subscriber = await cluster.SubscribeAsync(caller, query);
        if (subscriber.Handle is not null) return [];   // the stream started
        return Codes(await subscriber.NextAsync());
    }

    private static List<string> Codes(JsonElement json) =>
        json.TryGetProperty("errors", out var errors)
            ? errors.EnumerateArray().Select(e => e.TryGetProperty("extensions", out var x) && x.TryGetProperty("code", out var c) ? c.GetString()! : "(no code)").ToList()
            : [];

    /// <summary>Everything a mutation could change in the org, read as its admin.</summary>
    private async Task<string> FingerprintAsync(TestOrg org) =>
        (await cluster.GraphQLAsync(org.Id, """
            { reconciliation(period: "2026-11", statuses: [UNRECONCILED, SUGGESTED, AUTO_MATCHED, CONFIRMED, WRITTEN_OFF, DEFERRED]) {
                summary { billed observed writtenOff residual } buckets { status count amount } rows { edges { node { id status version } } } }
              providers { id name }
              attribution(asOf: "2026-11-20") { total coverage { headcount } }
              sessions(asOf: "2026-11-20") { totalCount edges { node { id project { id } } } } }
            """)).GetRawText();

    private async Task<TestOrg> SeedAsync()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T10:00:00Z", 10m));
        await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", 12m));
        return org;
    }

    /// <summary>Every root field as (Type.field, operation keyword, the call: a sample, else generated from the schema).</summary>
    private IEnumerable<(string Key, string Operation, string Field)> RootFields()
    {
        var schema = cluster.GraphQLServices.GetRequiredService<ISchema>();
        schema.Initialize();
        foreach (var (type, operation) in new (IObjectGraphType?, string)[] { (schema.Query, "query"), (schema.Mutation, "mutation"), (schema.Subscription, "subscription") })
        {
            if (type is null) continue;
            foreach (var field in type.Fields.Where(f => !f.Name.StartsWith("__", StringComparison.Ordinal)))
            {
                var key = $"{type.Name}.{field.Name}";
                yield return (key, operation, Samples.GetValueOrDefault(key) ?? Generated(field));
            }
        }
    }

    /// <summary>A call with every required argument set to a plain value of its type, selecting __typename.</summary>
    private static string Generated(FieldType field)
    {
        var args = field.Arguments?.Where(a => a.ResolvedType is NonNullGraphType && a.DefaultValue is null).Select(a => $"{a.Name}: {Value(a.ResolvedType!)}").ToList() ?? [];
        var call = args.Count == 0 ? field.Name : $"{field.Name}({string.Join(", ", args)})";
        return Unwrap(field.ResolvedType!) is IComplexGraphType ? $"{call} {{ __typename }}" : call;
    }

    private static IGraphType Unwrap(IGraphType type) => type switch
    {
        NonNullGraphType n => Unwrap(n.ResolvedType!),
        ListGraphType l => Unwrap(l.ResolvedType!),
        _ => type,
    };

    private static string Value(IGraphType type) => type switch
    {
        NonNullGraphType n => Value(n.ResolvedType!),
        ListGraphType l => $"[{Value(l.ResolvedType!)}]",
        EnumerationGraphType e => e.Values.First().Name,
        IInputObjectGraphType input => "{ " + string.Join(", ", input.Fields
            .Where(f => f.ResolvedType is NonNullGraphType && f.DefaultValue is null).Select(f => $"{f.Name}: {Value(f.ResolvedType!)}")) + " }",
        IntGraphType => "1",
        FloatGraphType => "1.0",
        BooleanGraphType => "false",
        _ when type.Name == "Date" => "\"2026-11-20\"",
        _ when type.Name == "DateTime" => "\"2026-11-20T10:00:00Z\"",
        _ when type.Name == "Decimal" => "\"1\"",
        _ => "\"matrix\"",
    };
}
