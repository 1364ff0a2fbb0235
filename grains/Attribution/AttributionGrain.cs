using Flowstate.Domain;
using Flowstate.Providers;
using Flowstate.Workforce;
using Orleans.Concurrency;

namespace Flowstate.Attribution;

/// <summary>
/// Answers attribution queries for an org (see <see cref="IAttributionGrain"/>). A stateless
/// worker, so every silo answers locally; it caches the workforce model (refreshed by version on
/// every call) and provider names (for half a minute).
/// </summary>
[StatelessWorker, GrainType("attribution")]
public sealed class AttributionGrain(BusinessClock clock) : Grain, IAttributionGrain
{
    private static readonly TimeSpan ProviderNamesTtl = TimeSpan.FromSeconds(30);
    private WorkforceModel? _model;
    private (DateTimeOffset At, IReadOnlyDictionary<string, string> Names)? _providers;

    private string Org => this.GetPrimaryKeyString();

    public async Task<AttributionView> GetViewAsync(AttributionRequest request)
    {
        var model = await ModelAsync();
        AttributionViews.Validate(model.Snapshot, request.Scope);
        var asOf = request.AsOf ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var window = DateWindows.Of(request.Range, asOf);
        var (rollup, subject, filter) = AttributionViews.SourceOf(model, request.Scope);
        var slices = Task.WhenAll(DateWindows.Months(window).Select(m => SliceAsync(rollup, subject, m.Month, new SliceQuery(m.From, m.To, filter))));
        var banner = BannerAsync(model, asOf);
        var names = ProviderNamesAsync();
        return AttributionViews.Build(Org, model, request, window, Sum(await slices), await names, await banner);
    }

    private Task<RollupSlice> SliceAsync(string? rollup, string? subject, Period month, SliceQuery query) => subject is not null
        ? GrainFactory.GetGrain<ISubjectMonthGrain>(RollupKeys.SubjectMonth(Org, subject, month)).SummarizeAsync(query)
        : GrainFactory.GetGrain<IRollupGrain>(RollupKeys.Rollup(Org, rollup!, month)).SummarizeAsync(query);

    /// <summary>The discovery banner from the org's last three calendar months (whole months: read from the rollups' month totals).</summary>
    private async Task<DiscoveryBanner?> BannerAsync(WorkforceModel model, DateOnly asOf)
    {
        var last = Period.Of(asOf);
        var first = Enumerable.Range(0, 2).Aggregate(last, (m, _) => m.Month == 1 ? new Period(m.Year - 1, 12) : new Period(m.Year, m.Month - 1));
        var window = new DateWindow(first.FirstDay, last.Next.FirstDay.AddDays(-1));
        var slices = await Task.WhenAll(DateWindows.Months(window).Select(m => SliceAsync(RollupKeys.Org, null, m.Month, new SliceQuery(m.From, m.To, SliceFilter.None))));
        return Discovery.Banner(model.Snapshot.People.Count, Sum(slices));
    }

    private static RollupSlice Sum(IReadOnlyList<RollupSlice> slices)
    {
        if (slices.Count == 1) return slices[0];
        var acc = new SliceAccumulator();
        foreach (var s in slices) acc.Add(s);
        return acc.ToSlice();
    }

    private async Task<WorkforceModel> ModelAsync()
    {
        var snapshot = await GrainFactory.GetGrain<IOrgGrain>(Org).GetWorkforceAsync(_model?.Version ?? -1);
        if (snapshot is not null) _model = new WorkforceModel(snapshot);
        return _model!;
    }

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
