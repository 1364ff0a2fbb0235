using Flowstate.Connectors;
using Flowstate.Connectors.Focus;
using Flowstate.Connectors.Http;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;

namespace Flowstate.Integrations;

[GenerateSerializer, Alias("Flowstate.IntegrationGrainState")]
public sealed class IntegrationGrainState
{
    [Id(0)] public IntegrationSettings? Settings { get; set; }
    /// <summary>The credential encrypted with the cluster's Data Protection keys; never the clear text.</summary>
    [Id(1)] public string? ProtectedCredential { get; set; }
    [Id(2)] public string? CredentialHint { get; set; }
    /// <summary>Every day up to this one was pulled after it had settled; the next run starts the day after.</summary>
    [Id(3)] public DateOnly? SettledThrough { get; set; }
    /// <summary>The newest runs first, at most <see cref="IntegrationGrain.KeptRuns"/>.</summary>
    [Id(4)] public List<PullRun> Runs { get; set; } = [];
    [Id(5)] public DateTimeOffset? LastSuccessAt { get; set; }
    [Id(6)] public string? LastError { get; set; }
    [Id(7)] public DateTimeOffset? FailingSince { get; set; }
    [Id(8)] public int RunNumber { get; set; }
    /// <summary>The amount each correction row (an ADJUSTMENT in the open period) carries, by its external id.</summary>
    [Id(9)] public Dictionary<string, decimal> Adjustments { get; set; } = [];
}

/// <summary>
/// One provider's billing integration (see <see cref="IIntegrationGrain"/>). A run reads every page
/// through its connector before it writes anything, then ingests the rows through the ingestion
/// grain like any other bill; a re-pulled amount on a confirmed or written-off row becomes an
/// ADJUSTMENT row in the open month that names the row it corrects.
/// </summary>
[GrainType("integration")]
public sealed class IntegrationGrain(
    [PersistentState("integration", GrainStorage.Name)] IPersistentState<IntegrationGrainState> state,
    ConnectorCatalog connectors,
    IDataProtectionProvider protection,
    BusinessClock clock,
    ILogger<IntegrationGrain> logger) : Grain, IIntegrationGrain, IRemindable
{
    public const int KeptRuns = 50;
    private const string Reminder = "pull";
    private const int Chunk = 2000;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(30);
    /// <summary>How soon after configuring the first scheduled run starts.</summary>
    public static readonly TimeSpan FirstRunAfter = TimeSpan.FromSeconds(15);

    private IntegrationGrainState S => state.State;
    private string Org => GrainKeys.OrgOf(this.GetPrimaryKeyString());
    private string ProviderId => GrainKeys.WithoutOrg(this.GetPrimaryKeyString());
    private IDataProtector Protector => protection.CreateProtector("Flowstate.Integrations.Credential.v1", Org, ProviderId);
    private DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
    private PullRun? _running;

    public async Task<IntegrationView> ConfigureAsync(IntegrationSettings settings, string? credential)
    {
        IntegrationRules.Validate(settings);
        IntegrationRules.ValidateCredential(credential);
        if (await ProviderAsync() is null)
            throw FlowstateException.NotFound($"Unknown provider '{ProviderId}'. Configure it with configureProvider first.");
        if (credential is null && S.ProtectedCredential is null)
            throw FlowstateException.InvalidInput("credential is required the first time a connector is configured (the provider's admin key or token).");
        var kindChanged = S.Settings is { } old && (old.Kind != settings.Kind || old.BaseUrl != settings.BaseUrl || old.Account != settings.Account);
        S.Settings = settings with { BaseUrl = settings.BaseUrl?.TrimEnd('/'), Account = settings.Account?.Trim() };
        if (credential is not null)
        {
            S.ProtectedCredential = Protector.Protect(credential);
            S.CredentialHint = credential.Length >= 8 ? credential[^4..] : null;   // a short secret shows nothing of itself
        }
        if (kindChanged) S.SettledThrough = null;   // another API: backfill again
        await state.WriteStateAsync();
        // The first run soon after configuring, then one every everyMinutes.
        await this.RegisterOrUpdateReminder(Reminder, FirstRunAfter, TimeSpan.FromMinutes(settings.EveryMinutes));
        return View();
    }

    public Task<IntegrationView> GetAsync() => Task.FromResult(View());

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != Reminder) return;
        if (S.Settings is null || S.ProtectedCredential is null)
        {
            if (await this.GetReminder(Reminder) is { } reminder) await this.UnregisterReminder(reminder);
            return;
        }
        try { await RunAsync(null, null, "schedule"); }
        catch (FlowstateException e) { logger.LogWarning("Scheduled pull of {Provider} for {Org} refused: {Message}", ProviderId, Org, e.Message); }
    }

    public Task<PullRun> PullAsync(DateOnly? from, DateOnly? to) => RunAsync(from, to, "pullProvider");

    private async Task<PullRun> RunAsync(DateOnly? from, DateOnly? to, string source)
    {
        var provider = await ProviderAsync() ?? throw FlowstateException.NotFound($"Unknown provider '{ProviderId}'. Configure it with configureProvider first.");
        if (S.Settings is not { } settings || S.ProtectedCredential is null)
            throw FlowstateException.InvalidInput($"Provider '{ProviderId}' has no connector; configure one with configureProvider(input: {{ connector: {{ kind, credential }} }}).");
        var today = Today;
        var (start, end) = IntegrationRules.Range(from, to, S.SettledThrough, today);
        var connector = connectors[(ConnectorKind)(int)settings.Kind];
        var run = StartAsync(start, end, source);
        string? credential = null;
        try
        {
            credential = Protector.Unprotect(S.ProtectedCredential);
            var request = new PullRequest(settings.BaseUrl is null ? connector.DefaultBaseUrl : new Uri(settings.BaseUrl + "/"), credential, start, end,
                settings.Account, provider.Config.Plan.SeatFeeUsd);
            using var timeout = new CancellationTokenSource(RunTimeout);
            var result = await connector.PullAsync(request, timeout.Token);
            var settledUpTo = today.AddDays(-settings.SettleDays);
            run = await IngestAsync(run, result.Rows, settledUpTo) with { Warnings = result.Warnings.Take(20).ToList() };
            // Settled days advance only over a contiguous range: from the day after the last settled one (or the backfill's start).
            var contiguous = S.SettledThrough is { } through ? start <= through.AddDays(1) : start <= today.AddDays(-(IntegrationRules.BackfillDays - 1));
            if (run.Status == PullStatus.Succeeded && contiguous)
            {
                var settled = end < settledUpTo ? end : settledUpTo;
                if (S.SettledThrough is null || settled > S.SettledThrough) S.SettledThrough = settled;
            }
        }
        catch (Exception e) when (e is ConnectorException or System.Security.Cryptography.CryptographicException or OperationCanceledException or FlowstateException)
        {
            var message = e switch
            {
                ConnectorException c => c.Message,
                System.Security.Cryptography.CryptographicException => "the stored credential cannot be decrypted with this cluster's keys; set it again",
                OperationCanceledException => $"the run took longer than {RunTimeout.TotalMinutes:0} minutes",
                _ => e.Message,
            };
            run = run with { Status = PullStatus.Failed, Error = Scrub(message, credential) };
        }
        return await FinishAsync(run);
    }

    public async Task<PullRun> ImportFocusAsync(string csv)
    {
        if (await ProviderAsync() is null) throw FlowstateException.NotFound($"Unknown provider '{ProviderId}'. Configure it with configureProvider first.");
        if (string.IsNullOrWhiteSpace(csv)) throw FlowstateException.InvalidInput("csv is empty: send a FOCUS export, header line first.");
        IReadOnlyList<PulledRow> rows;
        try { rows = FocusReader.Read(csv); }
        catch (FocusFormatException e) { throw FlowstateException.InvalidInput(e.Message); }
        var today = Today;
        if (rows.FirstOrDefault(r => r.UsageDate > today) is { } future)
            throw FlowstateException.InvalidInput($"FOCUS charge on {future.UsageDate:yyyy-MM-dd} is in the future.");
        var (from, to) = rows.Count == 0 ? (today, today) : (rows.Min(r => r.UsageDate), rows.Max(r => r.UsageDate));
        var run = StartAsync(from, to, "importFocus");
        run = await IngestAsync(run, rows, DateOnly.MaxValue);   // an invoice export is final
        return await FinishAsync(run);
    }

    private PullRun StartAsync(DateOnly from, DateOnly to, string source)
    {
        S.RunNumber++;
        var run = new PullRun($"{ProviderId}:{S.RunNumber}", ProviderId, PullStatus.Running, from, to, clock.GetUtcNow(), null, 0, 0, 0, 0, null, [], source);
        _running = run;
        return run;
    }

    private async Task<PullRun> FinishAsync(PullRun run)
    {
        _running = null;
        run = run with { FinishedAt = clock.GetUtcNow() };
        S.Runs.Insert(0, run);
        if (S.Runs.Count > KeptRuns) S.Runs.RemoveRange(KeptRuns, S.Runs.Count - KeptRuns);
        if (run.Status == PullStatus.Failed)
        {
            S.LastError = run.Error;
            S.FailingSince ??= run.StartedAt;
        }
        else
        {
            S.LastError = run.Status == PullStatus.Partial ? run.Error : null;
            S.FailingSince = null;
            S.LastSuccessAt = run.FinishedAt;
        }
        await state.WriteStateAsync();
        logger.LogInformation("Pull {Run} of {Org}: {Status}, {Created} created, {Updated} updated, {Unchanged} unchanged, {Rejected} rejected{Error}",
            run.Id, Org, run.Status, run.RowsCreated, run.RowsUpdated, run.RowsUnchanged, run.RowsRejected, run.Error is null ? "" : ": " + run.Error);
        return run;
    }

    /// <summary>
    /// The pulled rows through the ingestion grain, in chunks. Rows of days not yet settled say so.
    /// A row that is confirmed or written off keeps its amount: a difference becomes an ADJUSTMENT
    /// row in the open month, which names the row it corrects.
    /// </summary>
    private async Task<PullRun> IngestAsync(PullRun run, IReadOnlyList<PulledRow> rows, DateOnly settledUpTo)
    {
        var ingestion = GrainFactory.GetGrain<IIngestionGrain>(Org);
        int created = 0, updated = 0, unchanged = 0, adjusted = 0;
        var rejections = new List<string>();
        var locked = new List<PulledRow>();
        foreach (var chunk in rows.Chunk(Chunk))
        {
            var requests = chunk.Select(r => Request(r, r.UsageDate > settledUpTo)).ToList();
            var result = await ingestion.IngestBillingRowsAsync(ProviderId, requests);
            created += result.Accepted - result.Updated;
            updated += result.Updated;
            unchanged += result.Duplicates;
            rejections.AddRange(result.Rejected.Select(r => $"{chunk[r.Index].ExternalId}: {r.Code}: {r.Message}"));
            locked.AddRange((result.Locked ?? []).Select(i => chunk[i]));
        }
        var corrections = await CorrectionsAsync(locked);
        if (corrections.Count > 0)
        {
            var result = await ingestion.IngestBillingRowsAsync(ProviderId, corrections.Select(c => c.Request).ToList());
            adjusted = result.Accepted;
            unchanged -= corrections.Count;
            rejections.AddRange(result.Rejected.Select(r => $"{corrections[r.Index].Request.ExternalId}: {r.Code}: {r.Message}"));
            foreach (var (c, i) in corrections.Select((c, i) => (c, i)).Where(x => result.Rejected.All(r => r.Index != x.i)))
                S.Adjustments[c.Request.ExternalId!] = c.Request.TotalCostUsd!.Value;
        }
        var status = rejections.Count == 0 ? PullStatus.Succeeded : created + updated + unchanged + adjusted > 0 ? PullStatus.Partial : PullStatus.Failed;
        return run with
        {
            Status = status, RowsCreated = created, RowsUpdated = updated, RowsUnchanged = unchanged, RowsRejected = rejections.Count, RowsAdjusted = adjusted,
            Error = rejections.Count == 0 ? null : $"{rejections.Count} row{(rejections.Count == 1 ? "" : "s")} rejected: {string.Join("; ", rejections.Take(5))}",
        };
    }

    /// <summary>For each locked row whose re-pulled amount differs from what it and its earlier corrections carry: the correction still owed.</summary>
    private async Task<List<(BillingRowRequest Request, string RowId)>> CorrectionsAsync(List<PulledRow> locked)
    {
        var open = Period.Of(Today);
        var owed = new List<(BillingRowRequest, string)>();
        foreach (var row in locked)
        {
            var rowId = GrainKeys.RowId(ProviderId, row.ExternalId);
            if (await GrainFactory.GetGrain<IBillingRowGrain>(GrainKeys.Row(Org, rowId)).GetAsync() is not { } view) continue;
            var prefix = $"{row.ExternalId}~adj@";
            var id = $"{prefix}{open}";
            var earlier = S.Adjustments.Where(a => a.Key.StartsWith(prefix, StringComparison.Ordinal) && a.Key != id).Sum(a => a.Value);
            var amount = row.AmountUsd - view.Line.TotalCostUsd - earlier;
            if (amount == 0m && !S.Adjustments.ContainsKey(id)) continue;
            var description = $"Adjusts row {rowId} ({view.Status.ToString().ToUpperInvariant()}, {view.Line.UsageDate:yyyy-MM-dd}): " +
                              $"the provider now bills {row.AmountUsd} where the row holds {view.Line.TotalCostUsd}";
            owed.Add((new BillingRowRequest(id, row.Subject, row.Account, Today, amount, null, BillingRowKind.Adjustment, description, []), rowId));
        }
        return owed;
    }

    private static BillingRowRequest Request(PulledRow r, bool provisional) => new(r.ExternalId, r.Subject, r.Account, r.UsageDate, r.AmountUsd, r.ListAmountUsd,
        (BillingRowKind)(int)r.Kind, r.Description, [], provisional);

    private static string Scrub(string message, string? credential) =>
        credential is { Length: > 0 } ? message.Replace(credential, "[credential]", StringComparison.Ordinal) : message;

    private Task<ProviderView?> ProviderAsync() => GrainFactory.GetGrain<IProviderGrain>(this.GetPrimaryKeyString()).GetAsync();

    private IntegrationView View()
    {
        var settings = S.Settings;
        var running = _running;
        var stateNow = settings is null ? IntegrationState.NotConfigured
            : running is not null ? IntegrationState.Running
            : S.FailingSince is not null ? IntegrationState.Failing
            : IntegrationState.Scheduled;
        var lastRun = running?.StartedAt ?? S.Runs.FirstOrDefault()?.StartedAt;
        var next = settings is null ? (DateTimeOffset?)null
            : (S.Runs.FirstOrDefault(r => r.Source == "schedule")?.StartedAt ?? lastRun ?? clock.GetUtcNow()).AddMinutes(settings.EveryMinutes);
        var runs = running is null ? S.Runs : S.Runs.Prepend(running).ToList();
        return new IntegrationView(settings, stateNow, lastRun, S.LastSuccessAt, next, S.LastError, S.ProtectedCredential is not null, S.CredentialHint, S.FailingSince, runs);
    }
}
