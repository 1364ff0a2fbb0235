using Flowstate.Attribution;
using Flowstate.Domain;
using Flowstate.Ingestion;
using Flowstate.Workforce;

namespace Flowstate.Tests.Unit;

public sealed class AttributionRulesTests
{
    private static readonly DateOnly Jan1 = new(2026, 1, 1);

    private static WorkforceModel Model(params Person[] people) => new(new WorkforceSnapshot(1,
        new Dictionary<string, CostCentre> { ["eng"] = new("eng", "Engineering"), ["ops"] = new("ops", "Operations") },
        new Dictionary<string, Team>
        {
            ["root"] = new("root", "Root", null, "eng", null),
            ["mid"] = new("mid", "Mid", "root", null, null),
            ["leaf"] = new("leaf", "Leaf", "mid", "ops", null),
        },
        people.ToDictionary(p => p.Id), new Dictionary<string, Project>(), new Dictionary<string, ValueStream>(), new Dictionary<string, string>()));

    [Theory]
    [InlineData(DateRange.Last7Days, "2026-11-14", "2026-11-20")]
    [InlineData(DateRange.Last30Days, "2026-10-22", "2026-11-20")]
    [InlineData(DateRange.QuarterToDate, "2026-10-01", "2026-11-20")]
    [InlineData(DateRange.LastYear, "2025-11-21", "2026-11-20")]
    public void Windows_EndOnAsOf_AndIncludeBothEnds(DateRange range, string start, string end)
    {
        var w = DateWindows.Of(range, new DateOnly(2026, 11, 20));
        Assert.Equal((DateOnly.Parse(start), DateOnly.Parse(end)), (w.Start, w.End));
        Assert.Equal(13, DateWindows.Months(DateWindows.Of(DateRange.LastYear, new DateOnly(2026, 11, 20))).Count());
        Assert.Equal(new DateOnly(2026, 1, 1), DateWindows.Of(DateRange.QuarterToDate, new DateOnly(2026, 3, 31)).Start);
    }

    [Fact]
    public void AllocationsOn_TakeTheLatestEffectiveSet()
    {
        var p = new Person("p", null, "P", PersonKind.Employee,
            [new Allocation("root", 1m, Jan1), new Allocation("mid", 0.5m, new DateOnly(2026, 6, 1)), new Allocation("leaf", 0.25m, new DateOnly(2026, 6, 1))]);
        Assert.Empty(WorkforceModel.AllocationsOn(p, new DateOnly(2025, 12, 31)));
        Assert.Equal(["root"], WorkforceModel.AllocationsOn(p, new DateOnly(2026, 5, 31)).Select(a => a.TeamId));
        Assert.Equal(["mid", "leaf"], WorkforceModel.AllocationsOn(p, new DateOnly(2026, 6, 1)).Select(a => a.TeamId));
    }

    [Fact]
    public void Tree_InheritsCostCentres_AndKnowsSubtreesAndPaths()
    {
        var model = Model();
        Assert.Equal("eng", model.CostCentreOf("mid"));
        Assert.Equal("ops", model.CostCentreOf("leaf"));
        Assert.Equal(["leaf", "mid", "root"], model.PathToRoot("leaf"));
        Assert.Equal(["leaf", "mid"], model.Subtree("mid").Order());
        Assert.Equal(["root"], model.TopTeamsOf("eng"));
        Assert.Equal(["leaf"], model.TopTeamsOf("ops"));
    }

    [Fact]
    public void Split_WeighsByFte_KeepsTheRestUnallocated_AndAddsUpExactly()
    {
        var person = new Person("p", null, "P", PersonKind.Employee,
            [new Allocation("leaf", 0.3m, Jan1), new Allocation("root", 0.3m, Jan1), new Allocation("mid", 1m, new DateOnly(2026, 11, 15))]);
        var model = Model(person);
        var plan = model.PlanFor(SubjectKeys.Person("p"), new Period(2026, 11));
        Assert.Equal(2, plan.Segments.Count);
        var usage = new PartitionUsage("x", "claude", 1,
        [
            new UsageCell(new DateOnly(2026, 11, 3), "m", "web", new UsageMetrics(0m, 10.000001m, 1, 100, 0.5, 1)),
            new UsageCell(new DateOnly(2026, 11, 20), "m", null, new UsageMetrics(1m, 7m, 2, 10, 0, 0)),
        ]);
        var cells = RollupSplit.Split([usage], plan);
        Assert.Equal(17.000001m, cells.Sum(c => c.Metrics.MarketUsd));
        Assert.Equal(4.0000004m, cells.Where(c => c.TeamId is null).Sum(c => c.Metrics.MarketUsd));   // 0.4 of the first cell
        var targets = RollupSplit.Targets(cells, plan);
        Assert.Equal(17.000001m, targets[RollupKeys.Org].Sum(c => c.Metrics.MarketUsd));
        Assert.Equal(3.0000003m + 3.0000003m + 7m, targets[RollupKeys.Team("root")].Sum(c => c.Metrics.MarketUsd));   // leaf and root shares, then mid
        Assert.Equal(3.0000003m, targets[RollupKeys.CostCentre("ops")].Sum(c => c.Metrics.MarketUsd));
        Assert.Equal(10.000001m, targets[RollupKeys.Project("web")].Sum(c => c.Metrics.MarketUsd));
        Assert.False(targets.ContainsKey(RollupKeys.Project("")));
        Assert.Equal(RollupPlan.Unallocated, model.PlanFor(SubjectKeys.Unresolved("who@x"), new Period(2026, 11)));
    }

    [Fact]
    public void RollupIndex_ReplacesOnlyWithNewerVersions_AndAnswersPartialsFromCells()
    {
        var index = new RollupIndex(new Period(2026, 11));
        ScopeCell Cell(int day, decimal usd) => new(new DateOnly(2026, 11, day), "claude", "m", null, "t", "cc", new UsageMetrics(usd, usd, 1, 0, 0, 0));
        Assert.True(index.Apply(new Contribution("p:a", 2, [Cell(3, 5m), Cell(20, 1m)])));
        Assert.False(index.Apply(new Contribution("p:a", 1, [Cell(3, 100m)])));
        Assert.False(index.Apply(new Contribution("p:a", 2, [Cell(3, 100m)])));
        Assert.True(index.Apply(new Contribution("p:b", 1, [Cell(10, 2m)])));
        var all = new SliceQuery(new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 30), SliceFilter.None);
        Assert.Equal(8m, index.Summarize(all).Total.MarketUsd);
        Assert.Equal(3m, index.Summarize(all with { From = new DateOnly(2026, 11, 4) }).Total.MarketUsd);
        Assert.Equal(6m, index.Summarize(all with { Filter = new SliceFilter(Subject: "p:a") }).Total.MarketUsd);
        var v = index.Version;
        Assert.True(index.Apply(new Contribution("p:a", 3, [])));
        Assert.NotEqual(v, index.Version);
        Assert.Equal(2m, index.Summarize(all).Total.MarketUsd);
        Assert.Equal(["p:b"], index.Summarize(all).ByTeamSubject.Keys.Select(k => k.Subject));
    }

    [Fact]
    public void StoredCells_RoundTripExactly()
    {
        ScopeCell[] cells =
        [
            new(new DateOnly(2026, 11, 30), "claude", "sonnet", "web", "t1", "cc", new UsageMetrics(0.123456789012m, -7.5m, 0.6, 1234.5, 0.25, 0.6)),
            new(new DateOnly(2026, 11, 1), "claude", "ünïcode", null, null, null, new UsageMetrics(0m, 79228162514264.337593543950335m, 1, 0, 0, 0)),
        ];
        Assert.Equal(cells, Flowstate.Storage.ContributionCodec.Decode(Flowstate.Storage.ContributionCodec.Encode(cells)));
        Assert.Empty(Flowstate.Storage.ContributionCodec.Decode(Flowstate.Storage.ContributionCodec.Encode([])));
    }

    [Theory]
    [InlineData("git@github.com:Acme/web.git", "github.com/acme/web")]
    [InlineData("https://github.com/acme/web/", "github.com/acme/web")]
    [InlineData("ssh://git@github.com/acme/web.git", "github.com/acme/web")]
    [InlineData("github.com/acme/web@v2", "github.com/acme/web@v2")]
    [InlineData("  ", null)]
    public void Repos_CompareInOneNormalForm(string repo, string? normal) => Assert.Equal(normal, ProjectClassifier.NormalizeRepo(repo));

    [Fact]
    public void Classifier_PrefersALearnedContext_ThenTheProjectListingTheRepo()
    {
        var w = new WorkforceSnapshot(1, new Dictionary<string, CostCentre>(), new Dictionary<string, Team>(), new Dictionary<string, Person>(),
            new Dictionary<string, Project> { ["web"] = new("web", "Web", ["github.com/acme/web"]), ["ops"] = new("ops", "Ops", []) },
            new Dictionary<string, ValueStream>(), new Dictionary<string, string> { ["path:cursor:/home/a/notes"] = "ops" });
        Assert.Equal("web", ProjectClassifier.Infer(w, ProjectClassifier.ContextKey(new SessionContext("git@github.com:acme/web.git", "/x", "cursor"))));
        Assert.Equal("ops", ProjectClassifier.Infer(w, ProjectClassifier.ContextKey(new SessionContext(null, "/home/a/notes/", "Cursor"))));
        Assert.Null(ProjectClassifier.Infer(w, ProjectClassifier.ContextKey(new SessionContext("github.com/acme/other", null, null))));
        Assert.Null(ProjectClassifier.ContextKey(null));
    }
}
