using Flowstate.Domain;
using Flowstate.Ingestion;
using Flowstate.Storage;
using Flowstate.Usage;
using Flowstate.Workforce;
using Orleans.Concurrency;

namespace Flowstate.Attribution;

/// <summary>
/// Reads the sessions table of an org (see <see cref="ISessionQueryGrain"/>). A stateless worker,
/// so every silo answers locally; it caches the workforce model, refreshed by version on every call.
/// </summary>
[StatelessWorker, GrainType("session-query")]
public sealed class SessionQueryGrain(SessionQueries queries, BusinessClock clock) : Grain, ISessionQueryGrain
{
    private WorkforceCache? _workforce;

    private string Org => this.GetPrimaryKeyString();

    public async Task<SessionPage> GetPageAsync(SessionPageRequest request)
    {
        if (request.First is < 1 or > SessionPageRequest.MaxFirst)
            throw FlowstateException.InvalidInput($"first must be between 1 and {SessionPageRequest.MaxFirst}; got {request.First}.");
        var after = request.After is null ? null : SessionCursor.Decode(request.After, request.Order);
        var model = await ModelAsync();
        AttributionViews.Validate(model, request.Scope);
        AttributionViews.Validate(model, new Scope(ProjectId: request.Filter.ProjectId, PersonId: request.Filter.PersonId));
        var window = DateWindows.Of(request.Range, request.AsOf ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
        // Sessions are stored under canonical model names; a filter may use any alias.
        var filter = request.Filter.Model is { } m ? request.Filter with { Model = ModelNames.Canonical(request.Filter.ProviderId, m) } : request.Filter;
        var selection = new SessionSelection(
            Midnight(window.Start), Midnight(window.End.AddDays(1)), filter,
            request.Scope.ProjectId, request.Scope.PersonId, SessionScopes.Members(model, request.Scope, window));

        // The count is a second index scan over the window: run it beside the page, and only when selected.
        var count = request.IncludeTotalCount ? queries.CountAsync(Org, selection) : null;
        var rows = await queries.PageAsync(Org, selection, request.Order, after, request.First + 1);
        var hasNext = rows.Count > request.First;
        if (hasNext) rows.RemoveAt(rows.Count - 1);
        var views = await ViewsAsync(model, rows, request.IncludeIncremental);
        var edges = rows.Select((r, i) => new SessionEdge(SessionCursor.Encode(request.Order, r.KeysetOf(request.Order.Field)), views[i])).ToList();
        return new SessionPage(edges, hasNext, after is not null, count is null ? null : (int?)await count, window);
    }

    public async Task<SessionView?> GetAsync(string sessionId, bool includeIncremental)
    {
        if (await queries.GetAsync(Org, sessionId) is not { } row) return null;
        return (await ViewsAsync(await ModelAsync(), [row], includeIncremental))[0];
    }

    public async Task<MyUsageView> GetMyUsageAsync(string personId, DateRange range, DateOnly? asOf)
    {
        var model = await ModelAsync();
        if (!model.Snapshot.People.TryGetValue(personId, out var person)) throw FlowstateException.NotFound($"No person with id '{personId}'.");
        var window = DateWindows.Of(range, asOf ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
        // The person's own subject-months hold their whole usage (every team share and the unallocated rest).
        var slices = await Task.WhenAll(DateWindows.Months(window).Select(m =>
            GrainFactory.GetGrain<ISubjectMonthGrain>(RollupKeys.SubjectMonth(Org, SubjectKeys.Person(personId), m.Month))
                .SummarizeAsync(new SliceQuery(m.From, m.To, SliceFilter.None), knownVersion: -1)));
        var total = slices.Aggregate(default(UsageMetrics), (sum, s) => sum + s!.Total);
        var unmatched = slices.Aggregate(default(UsageMetrics), (sum, s) => sum + s!.ByProject.GetValueOrDefault(""));
        return new MyUsageView(person.Ref, window, total.IncrementalUsd, total.MarketUsd, Count(total.Sessions), Count(unmatched.Sessions));
    }

    /// <summary>Sessions as shown: person and project from one snapshot; incremental cost from one call per partition touched, in parallel.</summary>
    private async Task<List<SessionView>> ViewsAsync(WorkforceModel model, IReadOnlyList<SessionRow> rows, bool includeIncremental)
    {
        var incremental = includeIncremental ? await IncrementalAsync(rows) : null;
        var w = model.Snapshot;
        return rows.Select(r => new SessionView(
            r.Id,
            r.PersonId is { } p && w.People.TryGetValue(p, out var person) ? person.Ref : null,
            r.SubjectKey, r.ProviderId, r.Model, r.StartedAt, r.EndedAt,
            r.InputTokens, r.OutputTokens, r.CachedInputTokens, r.TotalTokens, r.Turns, r.CostUsd, r.MarketCostUsd,
            // A session its partition has not recorded yet (an ingest in flight) has consumed no allowance.
            incremental is null ? null : incremental.GetValueOrDefault(r.Id, r.CostUsd),
            r.ProjectId is { } id ? new SessionProject(id, w.Projects.GetValueOrDefault(id)?.Name ?? id) : null,
            SourceOf(r.ProjectSource),
            r.Repo is null && r.Path is null && r.App is null ? null : new SessionContext(r.Repo, r.Path, r.App),
            r.Frustration, r.ApiKeyId)).ToList();
    }

    private async Task<Dictionary<string, decimal>> IncrementalAsync(IReadOnlyList<SessionRow> rows)
    {
        var answers = await Task.WhenAll(rows
            .GroupBy(r => PartitionKeys.Of(Org, r.ProviderId, r.SubjectKey, Period.Of(r.StartedAt)))
            .Select(g => GrainFactory.GetGrain<IUsagePartitionGrain>(g.Key).GetIncrementalCostsAsync(g.Select(r => r.Id).ToList())));
        return answers.SelectMany(a => a).ToDictionary(e => e.Key, e => e.Value);
    }

    private static ProjectSource? SourceOf(string? source) => source switch
    {
        SessionRecord.FromAgent => ProjectSource.Agent,
        SessionRecord.Inferred => ProjectSource.Inferred,
        SessionRecord.Marked => ProjectSource.Marked,
        _ => null,
    };

    private static int Count(double sessions) => (int)Math.Round(sessions, MidpointRounding.AwayFromZero);

    private static DateTimeOffset Midnight(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private Task<WorkforceModel> ModelAsync() => (_workforce ??= new WorkforceCache(GrainFactory, Org)).GetAsync();
}
