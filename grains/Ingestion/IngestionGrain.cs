using Flowstate.Domain;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Storage;
using Flowstate.Usage;
using Flowstate.Workforce;
using Orleans.Concurrency;

namespace Flowstate.Ingestion;

/// <summary>
/// Validates, resolves and routes ingested items (see <see cref="IIngestionGrain"/>). A stateless
/// worker: it keeps nothing, so every silo may run several. Sessions and agent calls are acknowledged
/// once durable in the ingest log (the fold takes them on to sessions, partitions and rollups);
/// billing rows once durable in their row grains. A batch re-sent after a failure changes nothing twice.
/// Session and telemetry batches pass the silo's <see cref="IngestAdmission"/> first.
/// Reentrant: a call waiting on storage or on the fold (read-your-writes) must not hold the activation, or a silo
/// (two stateless-worker activations on two cores) would take two batches at a time and queue the rest unbounded
/// in front of the admission. What it keeps between awaits are caches (workforce, telemetry providers), refreshed
/// by whichever call gets there; the admission bounds how many calls append at once.
/// </summary>
[StatelessWorker, Reentrant, GrainType("ingestion")]
public sealed class IngestionGrain(IngestLogStore ingestLog, IngestSignal signal, IngestAdmission admission, FoldProgress progress, IngestOptions options,
    BusinessClock clock, FlowstateMetrics metrics)
    : Grain, IIngestionGrain
{
    /// <summary>Grain calls in flight at once per batch: enough to overlap storage writes, bounded to protect the silo.</summary>
    private const int Parallelism = 64;

    private string Org => this.GetPrimaryKeyString();
    private WorkforceCache? _workforce;

    private Task<WorkforceModel> WorkforceAsync() => (_workforce ??= new WorkforceCache(GrainFactory, Org)).GetAsync();

    /// <summary>Providers by the telemetry service.name they own, refreshed every few seconds (a provider configured now is found soon).</summary>
    private (DateTimeOffset At, Dictionary<string, ProviderConfig> ByService)? _telemetryProviders;
    private static readonly TimeSpan ProvidersFor = TimeSpan.FromSeconds(5);

    public async Task<IngestResult> IngestTelemetryAsync(TelemetryBatch batch)
    {
        using var slot = await admission.EnterAsync();
        var model = await WorkforceAsync();
        var (items, rejected) = CallRules.Resolve(Org, batch, model, await TelemetryProvidersAsync(), clock.GetUtcNow());
        var fresh = await ingestLog.AppendAsync(items);
        signal.Appended();
        var result = new IngestResult(fresh.Count, items.Count - fresh.Count, rejected);
        metrics.Ingested("call", result.Accepted, result.Duplicates, result.Rejected.Count);
        foreach (var id in items.Select(i => i.ProviderId).Distinct())
            await GrainFactory.GetGrain<IProviderGrain>(GrainKeys.Join(Org, id)).RecordTelemetryAsync(Run(result));
        return result;
    }

    private async Task<Dictionary<string, ProviderConfig>> TelemetryProvidersAsync()
    {
        var now = clock.GetUtcNow();
        if (_telemetryProviders is { } cached && now - cached.At < ProvidersFor && now >= cached.At) return cached.ByService;
        var ids = await GrainFactory.GetGrain<IOrgGrain>(Org).GetProviderIdsAsync();
        var views = await Task.WhenAll(ids.Select(id => GrainFactory.GetGrain<IProviderGrain>(GrainKeys.Join(Org, id)).GetAsync()));
        var byService = new Dictionary<string, ProviderConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var config in views.OfType<ProviderView>().Select(v => v.Config).OrderBy(c => c.Id, StringComparer.Ordinal))
            foreach (var service in config.TelemetryServices ?? []) byService.TryAdd(service, config);
        _telemetryProviders = (now, byService);
        return byService;
    }

    public async Task<IngestResult> IngestBillingRowsAsync(string providerId, IReadOnlyList<BillingRowRequest> rows)
    {
        var provider = GrainFactory.GetGrain<IProviderGrain>(GrainKeys.Join(Org, providerId));
        if (await provider.GetAsync() is null)
            throw FlowstateException.NotFound($"Unknown provider '{providerId}'. Configure it with configureProvider first.");
        var directory = (await WorkforceAsync()).Directory;
        var rejected = new List<IngestRejection>();
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var duplicated = Duplicates(rows.Select(r => r.ExternalId));

        var lines = new List<(int Index, BillingLine Line)>();
        for (var i = 0; i < rows.Count; i++)
        {
            var error = BillingRowRules.Check(rows[i], today, duplicated);
            if (error is not null) { rejected.Add(new IngestRejection(i, error.Value.Code, error.Value.Message)); continue; }
            var r = rows[i];
            var person = directory.Resolve(r.Subject);
            var subjectKey = person is not null ? SubjectKeys.Person(person)
                : string.IsNullOrWhiteSpace(r.Subject) ? null : SubjectKeys.Unresolved(r.Subject);
            lines.Add((i, new BillingLine(providerId, r.ExternalId!.Trim(), subjectKey, string.IsNullOrWhiteSpace(r.Account) ? null : r.Account.Trim(),
                r.UsageDate!.Value, r.TotalCostUsd!.Value, r.ListCostUsd, r.Kind, r.Description, null, null, r.Provisional)));
        }

        var outcomes = await ForEachAsync(lines, async item =>
        {
            try
            {
                var row = GrainFactory.GetGrain<IBillingRowGrain>(GrainKeys.Row(Org, GrainKeys.RowId(providerId, item.Line.ExternalId)));
                return (item.Index, Outcome: (IngestOutcome?)await row.IngestAsync(item.Line), Error: (FlowstateException?)null);
            }
            catch (FlowstateException e) { return (item.Index, Outcome: (IngestOutcome?)null, Error: e); }
        });
        rejected.AddRange(outcomes.Where(o => o.Error is not null).Select(o => new IngestRejection(o.Index, o.Error!.Code, o.Error.Message)));
        var accepted = outcomes.Count(o => o.Outcome is IngestOutcome.Created or IngestOutcome.Updated);
        var duplicates = outcomes.Count(o => o.Outcome is IngestOutcome.Unchanged or IngestOutcome.Locked);

        var result = new IngestResult(accepted, duplicates, rejected.OrderBy(r => r.Index).ToList(),
            outcomes.Count(o => o.Outcome is IngestOutcome.Updated),
            outcomes.Where(o => o.Outcome is IngestOutcome.Locked).Select(o => o.Index).Order().ToList());
        metrics.Ingested("billing_row", result.Accepted, result.Duplicates, result.Rejected.Count);
        // An empty batch is no billing pull: it must not make the provider look monitored.
        if (rows.Count > 0)
            await provider.RecordBillingPullAsync(Run(result) with { LatestDay = lines.Count == 0 ? null : lines.Max(l => l.Line.UsageDate) });
        await GrainFactory.GetGrain<IDeferralClockGrain>(Org).StartAsync();
        return result;
    }

    public async Task<IngestResult> IngestSessionsAsync(IReadOnlyList<SessionRequest> sessions, IngestWait wait = IngestWait.Visible)
    {
        using var slot = await admission.EnterAsync();
        var model = await WorkforceAsync();
        var (directory, workforce) = (model.Directory, model.Snapshot);
        var providerIds = sessions.Select(s => s.ProviderId).OfType<string>().Distinct().ToList();
        var views = await Task.WhenAll(providerIds.Select(id => GrainFactory.GetGrain<IProviderGrain>(GrainKeys.Join(Org, id)).GetAsync()));
        var providers = views.OfType<ProviderView>().ToDictionary(v => v.Config.Id);
        var duplicated = Duplicates(sessions.Select(s => s.Id));
        var now = clock.GetUtcNow();

        var rejected = new List<IngestRejection>();
        var items = new List<(int Index, IngestItem Item)>();
        var content = new List<ItemContent>();
        for (var i = 0; i < sessions.Count; i++)
        {
            var error = SessionRules.Check(sessions[i], now, duplicated, providers);
            if (error is not null) { rejected.Add(new IngestRejection(i, error.Value.Code, error.Value.Message)); continue; }
            // One name per model from here on: sessions, rollups and prices all see the canonical one.
            var s = sessions[i] with { Model = ModelNames.Canonical(sessions[i].ProviderId, sessions[i].Model!) };
            var config = providers[s.ProviderId!].Config;
            var day = DateOnly.FromDateTime(s.StartedAt!.Value.UtcDateTime);
            if (Pricing.Price(config.Plan, config.Prices, s.Model!, day, s.InputTokens, s.OutputTokens, s.CachedInputTokens, s.CostUsd) is not { } cost)
            {
                rejected.Add(new IngestRejection(i, SessionRules.NoPrice,
                    $"No price for model '{s.Model}' on provider '{s.ProviderId}' on {day:yyyy-MM-dd}: add it to the provider's prices or send costUsd."));
                continue;
            }
            var person = directory.Resolve(s.Subject);
            var subjectKey = person is not null ? SubjectKeys.Person(person) : SubjectKeys.Unresolved(s.Subject!);
            var context = ProjectClassifier.ContextKey(s.Context);
            var (project, source) = s.ProjectId is { } sent && workforce.Projects.ContainsKey(sent)
                ? (sent, SessionRecord.FromAgent)
                : ProjectClassifier.Infer(workforce, context) is { } inferred ? (inferred, SessionRecord.Inferred) : ((string?)null, (string?)null);
            items.Add((i, new IngestItem(Org, s.Id!, IngestLogStore.SessionItemId, CallKind.Session, s.ProviderId!, subjectKey, person, s.Model,
                s.StartedAt.Value, s.EndedAt, s.InputTokens, s.OutputTokens, s.CachedInputTokens, s.Turns, cost.CostUsd, cost.MarketCostUsd,
                string.IsNullOrWhiteSpace(s.ApiKeyId) ? null : s.ApiKeyId, project, source, context, s.Context, s.Frustration, null, SessionDigest.Of(s))));
            if (s.HasContent) content.Add(new ItemContent(s.Id!, s.Prompt, s.Response));
        }

        // The acknowledgement: one bulk append. The first write wins; what was there already is a duplicate when
        // it says the same as this re-send, and a conflict (reported, not applied) when it differs.
        var fresh = await ingestLog.AppendAsync(items.Select(x => x.Item).ToList(), content);
        if (fresh.Count > 0) signal.Appended();
        var resent = items.Where(x => !fresh.ContainsKey((x.Item.SessionId, x.Item.ItemId))).ToList();
        var stored = await ingestLog.StoredAsync(Org, resent.Select(x => (x.Item.SessionId, x.Item.ItemId)).ToList());
        var duplicates = new List<(int Index, IngestItem Item)>();
        foreach (var x in resent)
        {
            if (stored.TryGetValue((x.Item.SessionId, x.Item.ItemId), out var had) && had.Digest == x.Item.Digest) duplicates.Add(x);
            else rejected.Add(new IngestRejection(x.Index, SessionRules.ConflictingResend,
                $"Session '{x.Item.SessionId}' was stored before with different values; the first write wins, so this one was not applied."));
        }

        var target = fresh.Values.Concat(duplicates.Select(d => stored[(d.Item.SessionId, d.Item.ItemId)].Position))
            .Aggregate(FoldPosition.Start, FoldPosition.Max);
        // Read-your-writes: the slot is released first, so waiting for the fold never holds an append slot.
        slot.Dispose();
        var visible = wait == IngestWait.Visible ? await progress.WaitAsync(target, options.VisibleWait) : progress.Passed(target);

        var result = new IngestResult(fresh.Count, duplicates.Count, rejected.OrderBy(r => r.Index).ToList(), Visible: visible);
        metrics.Ingested("session", result.Accepted, result.Duplicates, result.Rejected.Count);
        // Each provider records its own part of the batch, not the whole batch.
        var newIds = items.Where(x => fresh.ContainsKey((x.Item.SessionId, x.Item.ItemId))).Select(x => x.Item.SessionId).ToHashSet(StringComparer.Ordinal);
        var taken = items.Where(x => newIds.Contains(x.Item.SessionId)).Concat(duplicates).Select(x => sessions[x.Index]);
        foreach (var (id, part) in PerProvider(sessions, taken, newIds, result.Rejected))
            await GrainFactory.GetGrain<IProviderGrain>(GrainKeys.Join(Org, id)).RecordTelemetryAsync(Run(part));
        return result;
    }

    public async Task<IngestBacklog> GetBacklogAsync(string? providerId)
    {
        var backlog = await ingestLog.BacklogAsync(Org, providerId);
        return new IngestBacklog(backlog.Items, backlog.Lag(DateTimeOffset.UtcNow).TotalSeconds, backlog.OldestReceivedAt);
    }

    /// <summary>The batch's outcome split by the provider each session names; a rejection counts for the provider its session named, if known.</summary>
    private IEnumerable<(string ProviderId, IngestResult Part)> PerProvider(IReadOnlyList<SessionRequest> sessions, IEnumerable<SessionRequest> recorded,
        IReadOnlySet<string> newIds, IReadOnlyList<IngestRejection> rejected)
    {
        var byProvider = recorded.GroupBy(r => r.ProviderId!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var refusedBy = rejected.Where(r => sessions[r.Index].ProviderId is not null)
            .GroupBy(r => sessions[r.Index].ProviderId!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var id in byProvider.Keys.Union(refusedBy.Keys).Order(StringComparer.Ordinal))
        {
            var mine = byProvider.GetValueOrDefault(id) ?? [];
            var accepted = mine.Count(r => newIds.Contains(r.Id!));
            yield return (id, new IngestResult(accepted, mine.Count - accepted, refusedBy.GetValueOrDefault(id) ?? []));
        }
    }

    private IngestRun Run(IngestResult r) =>
        new(clock.GetUtcNow(), r.Accepted, r.Duplicates, r.Rejected.Count, r.Rejected.Take(10).Select(x => $"#{x.Index} {x.Code}: {x.Message}").ToList());

    /// <summary>Ids that occur more than once in a batch: every occurrence is rejected, since which one is right cannot be told.</summary>
    private static HashSet<string> Duplicates(IEnumerable<string?> ids) =>
        ids.OfType<string>().Select(id => id.Trim()).GroupBy(id => id, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);

    private static Task<TOut[]> ForEachAsync<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, Task<TOut>> call) =>
        Bounded.ForEachAsync(items, Parallelism, call);
}
