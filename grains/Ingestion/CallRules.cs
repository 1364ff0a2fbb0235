using Flowstate.Domain;
using Flowstate.Providers;
using Flowstate.Storage;
using Flowstate.Workforce;

namespace Flowstate.Ingestion;

/// <summary>
/// Turns mapped agent calls into ingest-log items: the provider whose telemetryService is the record's
/// service.name, the subject (a person when any candidate resolves), the project from the working
/// context, and the price. A call that cannot be placed is rejected with a reason naming the field.
/// </summary>
public static class CallRules
{
    public const int MaxCallIdLength = 512;

    /// <summary>Calls stamped this far ahead of the business clock are rejected (clock skew is allowed for).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromDays(1);

    public static (List<IngestItem> Items, List<IngestRejection> Rejected) Resolve(
        string org, TelemetryBatch batch, WorkforceModel workforce, IReadOnlyDictionary<string, ProviderConfig> byService, DateTimeOffset now)
    {
        var items = new List<IngestItem>(batch.Calls.Count);
        var rejected = new List<IngestRejection>();
        foreach (var call in batch.Calls)
        {
            var (item, error) = call.At > now + MaxClockSkew
                ? ((IngestItem?)null, (ItemError?)Invalid($"timeUnixNano: {call.At:O} is in the future."))
                : Resolve(org, call, batch.KeySubject, workforce, byService);
            if (item is not null) items.Add(item);
            else rejected.Add(new IngestRejection(call.Index, error!.Value.Code, error.Value.Message));
        }
        return (items, rejected);
    }

    private static (IngestItem?, ItemError?) Resolve(string org, AgentCall c, string? keySubject, WorkforceModel workforce,
        IReadOnlyDictionary<string, ProviderConfig> byService)
    {
        if (!byService.TryGetValue(c.ServiceName, out var provider))
            return (null, Invalid($"service.name '{c.ServiceName}' is not the telemetryService of any provider: set telemetryService on the provider it reports for (configureProvider)."));
        if (c.CallId.Length > MaxCallIdLength) return (null, Invalid($"the call id is longer than {MaxCallIdLength} characters."));

        var candidates = keySubject is null ? c.Subjects : [.. c.Subjects, keySubject];
        var person = candidates.Select(workforce.Directory.Resolve).FirstOrDefault(p => p is not null);
        var subject = c.Subjects.FirstOrDefault() ?? keySubject;
        if (subject is null)
            return (null, Invalid("user.email: the record names no subject (user.email, enduser.id, user.account_id or user.id) and its ingest key has none."));
        if (person is null && subject.Length > GrainKeys.MaxIdLength) return (null, Invalid($"user.email: the subject is longer than {GrainKeys.MaxIdLength} characters."));
        var subjectKey = person is not null ? SubjectKeys.Person(person) : SubjectKeys.Unresolved(subject);

        var day = DateOnly.FromDateTime(c.At.UtcDateTime);
        var cost = new SessionCost(0m, 0m);
        if (c.Kind != CallKind.Turn)
        {
            var model = c.Model!;
            var hasPrice = Pricing.PriceOn(provider.Prices, model, day) is not null;
            var priced = c.Kind switch
            {
                // A metric item is one token type or the cost of a window: tokens count when priced, the cost only when not.
                CallKind.MetricDelta or CallKind.MetricCumulative when c.ReportedCostUsd is not null =>
                    hasPrice ? cost : Pricing.PriceCall(provider.Plan, [], model, day, 0, 0, 0, c.ReportedCostUsd),
                CallKind.MetricDelta or CallKind.MetricCumulative when !hasPrice => cost,
                _ => Pricing.PriceCall(provider.Plan, provider.Prices, model, day, c.InputTokens, c.OutputTokens, c.CachedInputTokens, c.ReportedCostUsd),
            };
            if (priced is not { } p)
                return (null, new ItemError(SessionRules.NoPrice,
                    $"model: '{model}' has no price on provider '{provider.Id}' on {day:yyyy-MM-dd} and the record carries no cost_usd; add the model to the provider's prices."));
            cost = p;
        }

        var context = ProjectClassifier.ContextKey(c.Context);
        var project = ProjectClassifier.Infer(workforce.Snapshot, context);
        return (new IngestItem(org, c.SessionId, c.CallId, c.Kind, provider.Id, subjectKey, person, c.Model, c.At, null,
            c.InputTokens, c.OutputTokens, c.CachedInputTokens, null, cost.CostUsd, cost.MarketCostUsd, null,
            project, project is null ? null : SessionRecord.Inferred, context, c.Context, null, c.Series, 0), null);
    }

    private static ItemError Invalid(string message) => new(ErrorCodes.InvalidInput, message);
}
