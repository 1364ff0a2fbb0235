using Flowstate.Domain;
using Flowstate.Providers;
using Flowstate.Workforce;
using Orleans.Concurrency;

namespace Flowstate.Attribution;

/// <summary>
/// Answers attribution queries for an org (see <see cref="IAttributionGrain"/>). A stateless
/// worker, so every silo answers locally. It keeps caches only, each checked against a version
/// on every call: the workforce model, each month's slice (a rollup answers "unchanged" to the
/// version the worker holds), the sum of the months a window covers whole, and the finished view;
/// provider names are kept for half a minute.
/// </summary>
[StatelessWorker, GrainType("attribution")]
public sealed class AttributionGrain(BusinessClock clock) : Grain, IAttributionGrain
{
    private static readonly TimeSpan ProviderNamesTtl = TimeSpan.FromSeconds(30);
    private WorkforceCache? _workforce;
    private (DateTimeOffset At, IReadOnlyDictionary<string, string> Names)? _providers;
    private readonly BoundedCache<(string Grain, SliceQuery Query), RollupSlice> _slices = new(1024);
    private readonly BoundedCache<string, (long[] Versions, RollupSlice Sum)> _sums = new(128);
    private readonly BoundedCache<AttributionRequest, (string Fingerprint, AttributionView View)> _views = new(128);

    private string Org => this.GetPrimaryKeyString();

    public async Task<AttributionView> GetViewAsync(AttributionRequest request)
    {
        var model = await ModelAsync();
        AttributionViews.Validate(model, request.Scope);
        request = request with { AsOf = request.AsOf ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime) };
        var window = DateWindows.Of(request.Range, request.AsOf.Value);
        var (rollup, subject, filter) = AttributionViews.SourceOf(model, request.Scope);
        var slices = SumAsync(DateWindows.Months(window).Select(m =>
            (subject is null ? RollupKeys.Rollup(Org, rollup!, m.Month) : RollupKeys.SubjectMonth(Org, subject, m.Month), subject is not null, new SliceQuery(m.From, m.To, filter))));
        var recent = RecentAsync(request.AsOf.Value);
        var names = await ProviderNamesAsync();
        var ((slice, versions), (recentSlice, recentVersions)) = (await slices, await recent);

        var fingerprint = $"{model.Version}|{versions}|{recentVersions}|{names.GetHashCode()}";
        if (_views.TryGet(request, out var cached) && cached.Fingerprint == fingerprint) return cached.View;
        var view = AttributionViews.Build(Org, model, request, window, slice, names, Discovery.Banner(model.Snapshot.People.Count, recentSlice));
        if (request.Scope.PersonId is not null) view = await WithSessionsAsync(model, request, view);
        return _views.Set(request, (fingerprint, view)).View;
    }

    /// <summary>A person's children are their sessions: the most expensive ones from the sessions table, and the rest summed.</summary>
    private async Task<AttributionView> WithSessionsAsync(WorkforceModel model, AttributionRequest request, AttributionView view)
    {
        var page = await GrainFactory.GetGrain<ISessionQueryGrain>(Org).GetPageAsync(new SessionPageRequest(
            request.Scope, request.Range, request.AsOf, SessionFilter.None, new SessionOrder(SessionSortField.Cost, SortDirection.Desc),
            SessionChildren.Listed, null, IncludeTotalCount: true, IncludeIncremental: request.CostMode == CostMode.Incremental));
        var count = page.TotalCount ?? page.Edges.Count;
        return view with
        {
            Children = SessionChildren.Of(model, request.Scope, request.CostMode, view.Total, page.Edges.Select(e => e.Node).ToList(), count),
            ChildCount = count,
        };
    }

    /// <summary>
    /// The org's last three calendar months up to the as-of day, for the discovery banner: what was
    /// known on that day, so a view of an early date shows the banner a later backlog clears.
    /// </summary>
    private Task<(RollupSlice Sum, string Versions)> RecentAsync(DateOnly asOf)
    {
        var last = Period.Of(asOf);
        var first = Enumerable.Range(0, 2).Aggregate(last, (m, _) => m.Month == 1 ? new Period(m.Year - 1, 12) : new Period(m.Year, m.Month - 1));
        var window = new DateWindow(first.FirstDay, asOf);
        return SumAsync(DateWindows.Months(window).Select(m => (RollupKeys.Rollup(Org, RollupKeys.Org, m.Month), false, new SliceQuery(m.From, m.To, SliceFilter.None))));
    }

    /// <summary>
    /// The months' slices summed, with the versions they were made from. The sum of the months the
    /// window covers whole is kept with their versions: they change only when late data lands in
    /// them, and a window moved by a day keeps them, so a new window costs its two edge months and
    /// one addition, not a sum over the year.
    /// </summary>
    private async Task<(RollupSlice Sum, string Versions)> SumAsync(IEnumerable<(string Grain, bool Subject, SliceQuery Query)> months)
    {
        var parts = months.ToList();
        var slices = await Task.WhenAll(parts.Select(p => SliceAsync(p.Grain, p.Subject, p.Query)));
        var versions = string.Join(',', slices.Select(s => s.Version));
        if (slices.Length == 1) return (slices[0], versions);

        static bool Whole(SliceQuery q) => q.From.Day == 1 && q.To.AddDays(1).Day == 1;
        var whole = Enumerable.Range(0, parts.Count).Where(i => Whole(parts[i].Query)).ToList();
        var keepWhole = whole.Count > 1;
        var total = new SliceAccumulator();
        if (keepWhole)
        {
            var key = string.Join('|', whole.Select(i => $"{parts[i].Grain}:{Fingerprint(parts[i].Query)}"));
            var wholeVersions = whole.Select(i => slices[i].Version).ToArray();
            if (!_sums.TryGet(key, out var kept) || !kept.Versions.SequenceEqual(wholeVersions))
            {
                var acc = new SliceAccumulator();
                foreach (var i in whole) acc.Add(slices[i]);
                kept = _sums.Set(key, (wholeVersions, acc.ToSlice()));
            }
            total.Add(kept.Sum);
        }
        for (var i = 0; i < parts.Count; i++)
            if (!keepWhole || !whole.Contains(i)) total.Add(slices[i]);
        return (total.ToSlice(), versions);
    }

    private async Task<RollupSlice> SliceAsync(string grain, bool subject, SliceQuery query)
    {
        var known = _slices.TryGet((grain, query), out var cached) ? cached.Version : -1;
        var fresh = subject
            ? await GrainFactory.GetGrain<ISubjectMonthGrain>(grain).SummarizeAsync(query, known)
            : await GrainFactory.GetGrain<IRollupGrain>(grain).SummarizeAsync(query, known);
        return fresh is null ? cached : _slices.Set((grain, query), fresh);
    }

    private static string Fingerprint(SliceQuery q) =>
        $"{q.From:yyyyMMdd}-{q.To:yyyyMMdd}:{q.Filter.ProjectId}:{q.Filter.CostCentreId}:{q.Filter.Subject}:{(q.Filter.TeamIds is null ? "" : string.Join(',', q.Filter.TeamIds.Order()))}";

    private Task<WorkforceModel> ModelAsync() => (_workforce ??= new WorkforceCache(GrainFactory, Org)).GetAsync();

    private async Task<IReadOnlyDictionary<string, string>> ProviderNamesAsync()
    {
        var now = clock.GetUtcNow();
        if (_providers is { } cached && now - cached.At < ProviderNamesTtl) return cached.Names;
        var ids = await GrainFactory.GetGrain<IOrgGrain>(Org).GetProviderIdsAsync();
        var views = await Task.WhenAll(ids.Select(id => GrainFactory.GetGrain<IProviderGrain>(GrainKeys.Join(Org, id)).GetAsync()));
        var names = views.OfType<ProviderView>().ToDictionary(v => v.Config.Id, v => v.Config.Name);
        _providers = (now, names);
        return names;
    }
}
