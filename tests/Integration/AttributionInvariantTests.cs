using Flowstate.Attribution;
using Flowstate.Domain;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Tests.Infrastructure;
using Flowstate.Workforce;

namespace Flowstate.Tests.Integration;

/// <summary>
/// DESIGN invariant 3 on a random org: a random team tree under cost centres, people split across
/// teams with allocations that change during the year, and random sessions (priced from tokens or
/// reported, with projects sent, inferred from repositories or missing, from people and from
/// strangers), ingested concurrently and partly twice. Every scope, combination, range and cost
/// mode must equal a recomputation from the raw sessions, and the org total must equal the sum of
/// cost centres and the sum of people; then again after a restart.
/// </summary>
[Collection(DurabilityCollection.Name)]
public sealed class AttributionInvariantTests(FlowstateCluster cluster)
{
    private static readonly DateOnly AsOf = DateOnly.FromDateTime(FlowstateCluster.Start.UtcDateTime);

    private sealed record Observed(string Id, string Subject, DateTimeOffset Start, decimal Cost, decimal Market, string? Project);

    [Fact]
    public async Task EveryScopeRangeAndMode_EqualsARecomputationFromTheSessions()
    {
        var random = new Random(3);
        var org = await TestOrg.CreateAsync(cluster, discount: 0.2m, included: 4m);
        var workforce = RandomWorkforce(random);
        await org.Grains.GetGrain<IOrgGrain>(org.Id).UpsertWorkforceAsync(workforce);
        var people = workforce.People.ToDictionary(p => p.Id);

        var subjects = people.Values.SelectMany(p => new[] { p.Id, p.Email!.ToUpperInvariant() }).Concat(["stranger@else.example", "bot-7"]).ToArray();
        var sessions = Enumerable.Range(0, 700).Select(i => RandomSession(random, i, subjects)).ToList();
        var batches = sessions.Chunk(35).ToList();
        await Task.WhenAll(batches.Take(10).Select(b => org.ObserveAsync(b)));
        // Allocations change mid-year: history before each effective date keeps its split.
        var moved = workforce.People.Take(4).Select(p => p with { Allocations = p.Allocations.Append(new Allocation(workforce.Teams[random.Next(workforce.Teams.Count)].Id, 0.75m, new DateOnly(2026, 8, 17))).ToList() }).ToList();
        await org.Grains.GetGrain<IOrgGrain>(org.Id).UpsertWorkforceAsync(new WorkforceUpsert([], [], moved, [], []));
        foreach (var p in moved) people[p.Id] = p;
        await Task.WhenAll(batches.Skip(10).Select(b => org.ObserveAsync(b)));
        await Task.WhenAll(batches.Take(6).Select(b => org.ObserveAsync(b)));   // re-sent: changes nothing

        var snapshot = (await org.Grains.GetGrain<IOrgGrain>(org.Id).GetWorkforceAsync(-1))!;
        var model = new WorkforceModel(snapshot);
        var provider = (await org.Provider("claude").GetAsync())!.Config;
        var observed = Price(sessions, snapshot, provider);
        var incremental = observed.GroupBy(s => (s.Subject, Period.Of(s.Start)))
            .SelectMany(g => Allowance.Incremental(g.Select(s => new Flowstate.Usage.SessionFact(s.Id, s.Start, s.Cost, s.Market)), provider.Plan.IncludedUsageUsd))
            .ToDictionary(e => e.Key, e => e.Value);

        var scopes = Scopes(workforce).ToList();
        async Task CheckAsync()
        {
            foreach (var range in Enum.GetValues<DateRange>())
            foreach (var mode in Enum.GetValues<CostMode>())
            {
                var window = DateWindows.Of(range, AsOf);
                var inWindow = observed.Where(s => DateOnly.FromDateTime(s.Start.UtcDateTime) is var d && d >= window.Start && d <= window.End).ToList();
                decimal Cost(Observed s) => mode == CostMode.Market ? s.Market : incremental[s.Id];
                var views = new Dictionary<Scope, AttributionView>();
                foreach (var scope in scopes)
                {
                    var view = views[scope] = await org.Grains.GetGrain<IAttributionGrain>(org.Id).GetViewAsync(new AttributionRequest(scope, range, mode, AsOf));
                    var expected = inWindow.Sum(s => Cost(s) * Weight(model, people, scope, s));
                    Assert.True(expected == view.Total, $"{scope} {range} {mode}: expected {expected}, got {view.Total}");
                    Assert.Equal(view.Total, view.Children.Sum(c => c.Amount));   // a person's children are their sessions
                }
                var orgTotal = views[Scope.Org].Total;
                Assert.Equal(orgTotal, views[Scope.Org].ByCostCentre.Sum(a => a.Value));
                Assert.Equal(orgTotal, workforce.CostCentres.Sum(c => views[new Scope(CostCentreId: c.Id)].Total)
                                       + views[Scope.Org].ByCostCentre.Where(a => a.Key == "unallocated").Sum(a => a.Value));
                var strangers = inWindow.Where(s => SubjectKeys.PersonIdOf(s.Subject) is null).Sum(Cost);
                Assert.Equal(orgTotal, people.Keys.Sum(p => views[new Scope(PersonId: p)].Total) + strangers);
            }
        }

        await CheckAsync();
        await cluster.RestartAsync();
        await CheckAsync();
    }

    /// <summary>The share of a session a scope holds: the FTE of the subject's allocations that day inside the scope.</summary>
    private static decimal Weight(WorkforceModel model, Dictionary<string, Person> people, Scope scope, Observed s)
    {
        var personId = SubjectKeys.PersonIdOf(s.Subject);
        if (scope.PersonId is not null && scope.PersonId != personId) return 0;
        if (scope.ProjectId is not null && scope.ProjectId != s.Project) return 0;
        if (scope.TeamId is null && scope.CostCentreId is null) return 1;
        if (personId is null) return 0;
        var teams = scope.TeamId is { } t ? model.Subtree(t) : null;
        return WorkforceModel.AllocationsOn(people[personId], DateOnly.FromDateTime(s.Start.UtcDateTime))
            .Where(a => teams is null || teams.Contains(a.TeamId))
            .Where(a => scope.CostCentreId is null || model.CostCentreOf(a.TeamId) == scope.CostCentreId)
            .Sum(a => a.Fte);
    }

    private static IEnumerable<Scope> Scopes(WorkforceUpsert w)
    {
        yield return Scope.Org;
        foreach (var c in w.CostCentres) yield return new Scope(CostCentreId: c.Id);
        foreach (var t in w.Teams) yield return new Scope(TeamId: t.Id);
        foreach (var p in w.Projects) yield return new Scope(ProjectId: p.Id);
        foreach (var p in w.People) yield return new Scope(PersonId: p.Id);
        yield return new Scope(TeamId: w.Teams[0].Id, ProjectId: w.Projects[0].Id);
        yield return new Scope(CostCentreId: w.CostCentres[1].Id, ProjectId: w.Projects[1].Id);
        // A team with a cost centre it is in (one it is not in is INVALID_INPUT).
        var placed = w.Teams.Skip(1).First(t => t.CostCentreId is not null);
        yield return new Scope(CostCentreId: placed.CostCentreId, TeamId: placed.Id);
        yield return new Scope(TeamId: w.Teams[2].Id, PersonId: w.People[0].Id);
        yield return new Scope(CostCentreId: w.CostCentres[2].Id, PersonId: w.People[1].Id, ProjectId: w.Projects[2].Id);
    }

    private static WorkforceUpsert RandomWorkforce(Random random)
    {
        var ccs = Enumerable.Range(0, 3).Select(i => new CostCentre($"cc{i}", $"Cost centre {i}")).ToList();
        var teams = new List<Team>();
        for (var i = 0; i < 10; i++)
        {
            var parent = i < 2 || random.Next(4) == 0 ? null : teams[random.Next(teams.Count)].Id;
            var cc = parent is null || random.Next(3) == 0 ? ccs[random.Next(3)].Id : null;   // null: inherits from its parent
            teams.Add(new Team($"t{i}", $"Team {i}", parent, cc, null));
        }
        decimal[] ftes = [0.25m, 0.5m, 0.75m, 1m];
        var people = Enumerable.Range(0, 14).Select(i =>
        {
            var allocations = new List<Allocation>();
            foreach (var from in new[] { new DateOnly(2025, 1, 1), new DateOnly(2026, 3, 1).AddDays(random.Next(150)) }.Take(random.Next(1, 3)))
            {
                var left = 1m;
                foreach (var team in teams.OrderBy(_ => random.Next()).Take(random.Next(0, 3)))
                {
                    var fte = ftes.Where(f => f <= left).OrderBy(_ => random.Next()).FirstOrDefault();
                    if (fte == 0) break;
                    allocations.Add(new Allocation(team.Id, fte, from));
                    left -= fte;
                }
            }
            return new Person($"p{i}", $"p{i}@acme.example", $"Person {i}", PersonKind.Employee, allocations);
        }).ToList();
        var projects = Enumerable.Range(0, 3).Select(i => new Project($"proj{i}", $"Project {i}", [$"github.com/acme/repo{i}"])).ToList();
        return new WorkforceUpsert(ccs, teams, people, projects, []);
    }

    private static SessionRequest RandomSession(Random random, int i, string[] subjects)
    {
        var start = new DateTimeOffset(2025, 11, 10, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(376 * 24 * 60));
        var project = random.Next(4) switch { 0 => $"proj{random.Next(3)}", 1 => "no-such-project", _ => null };
        var repo = random.Next(3) == 0 ? $"git@github.com:Acme/repo{random.Next(4)}.git" : null;
        decimal? cost = random.Next(2) == 0 ? Math.Round((decimal)random.NextDouble() * 3, 4) : null;
        return new SessionRequest($"s{i}", subjects[random.Next(subjects.Length)], "claude", "sonnet", start, null,
            random.Next(200_000), random.Next(20_000), random.Next(50_000), 3, cost, null, project,
            repo is null ? null : new SessionContext(repo, null, null), random.Next(3) == 0 ? null : Math.Round(random.NextDouble(), 3), []);
    }

    /// <summary>What the silo must have made of each session: its subject, costs and project.</summary>
    private static List<Observed> Price(IEnumerable<SessionRequest> sessions, WorkforceSnapshot w, ProviderConfig provider)
    {
        var byEmail = w.People.Values.ToDictionary(p => p.Email!.ToLowerInvariant(), p => p.Id);
        return sessions.Select(s =>
        {
            var subject = w.People.ContainsKey(s.Subject!) ? SubjectKeys.Person(s.Subject!)
                : byEmail.TryGetValue(s.Subject!.ToLowerInvariant(), out var id) ? SubjectKeys.Person(id) : SubjectKeys.Unresolved(s.Subject!);
            var cost = Pricing.Price(provider.Plan, provider.Prices, s.Model!, DateOnly.FromDateTime(s.StartedAt!.Value.UtcDateTime),
                s.InputTokens, s.OutputTokens, s.CachedInputTokens, s.CostUsd)!.Value;
            var project = s.ProjectId is { } p && w.Projects.ContainsKey(p) ? p
                : s.Context?.Repo is { } repo && repo.ToLowerInvariant().Replace("git@github.com:", "github.com/").Replace(".git", "") is var r
                  && w.Projects.Values.FirstOrDefault(x => x.Repos.Contains(r)) is { } hit ? hit.Id : null;
            return new Observed(s.Id!, subject, s.StartedAt!.Value, cost.CostUsd, cost.MarketCostUsd, project);
        }).ToList();
    }
}
