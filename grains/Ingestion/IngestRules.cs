using Flowstate.Providers;
using Flowstate.Reconciliation;

namespace Flowstate.Ingestion;

/// <summary>A per-item rejection: a stable code and a message a person can act on.</summary>
public readonly record struct ItemError(string Code, string Message);

/// <summary>Per-item checks on ingested billing rows.</summary>
public static class BillingRowRules
{
    public const string DuplicateInBatch = "DUPLICATE_IN_BATCH";

    public static ItemError? Check(BillingRowRequest r, DateOnly today, ISet<string> duplicated)
    {
        if (r.FieldErrors.Count > 0) return Invalid(string.Join("; ", r.FieldErrors));
        if (string.IsNullOrWhiteSpace(r.ExternalId) || r.ExternalId.Trim().Length > GrainKeys.MaxIdLength)
            return Invalid($"externalId is required (1 to {GrainKeys.MaxIdLength} characters).");
        if (duplicated.Contains(r.ExternalId.Trim()))
            return new(DuplicateInBatch, $"externalId '{r.ExternalId}' occurs more than once in this batch; send each row once.");
        if (r.UsageDate is not { } day) return Invalid("usageDate is required, e.g. \"2026-11-03\".");
        if (day > today.AddDays(1)) return Invalid($"usageDate {day:yyyy-MM-dd} is in the future.");
        if (r.TotalCostUsd is not { } total) return Invalid("totalCostUsd is required.");
        if (total < 0 && r.Kind is BillingRowKind.Usage or BillingRowKind.Seat)
            return Invalid($"totalCostUsd {total} is negative on a {(r.Kind == BillingRowKind.Usage ? "USAGE" : "SEAT")} row; send refunds as CREDIT or ADJUSTMENT rows.");
        if (r.ListCostUsd < 0) return Invalid("listCostUsd cannot be negative.");
        if (r.Subject is { Length: > GrainKeys.MaxIdLength } || r.Account is { Length: > GrainKeys.MaxIdLength })
            return Invalid($"subject and account are at most {GrainKeys.MaxIdLength} characters.");
        return null;
    }

    private static ItemError Invalid(string message) => new(ErrorCodes.InvalidInput, message);
}

/// <summary>Per-item checks on ingested sessions.</summary>
public static class SessionRules
{
    public const string NoPrice = "NO_PRICE";

    /// <summary>A session id stored before with other values: the first write wins, and the re-send is reported, not applied.</summary>
    public const string ConflictingResend = "CONFLICTING_RESEND";

    public static ItemError? Check(SessionRequest s, DateTimeOffset now, ISet<string> duplicated, IReadOnlyDictionary<string, ProviderView> providers)
    {
        if (s.FieldErrors.Count > 0) return Invalid(string.Join("; ", s.FieldErrors));
        if (string.IsNullOrWhiteSpace(s.Id) || s.Id.Trim().Length > GrainKeys.MaxIdLength) return Invalid($"id is required (1 to {GrainKeys.MaxIdLength} characters).");
        if (duplicated.Contains(s.Id.Trim())) return new(BillingRowRules.DuplicateInBatch, $"Session id '{s.Id}' occurs more than once in this batch.");
        if (string.IsNullOrWhiteSpace(s.Subject) || s.Subject.Length > GrainKeys.MaxIdLength) return Invalid("subject is required: a person id, email or telemetry key.");
        if (string.IsNullOrWhiteSpace(s.ProviderId)) return Invalid("providerId is required.");
        if (!providers.ContainsKey(s.ProviderId)) return new(ErrorCodes.NotFound, $"Unknown provider '{s.ProviderId}'. Configure it with configureProvider first.");
        if (string.IsNullOrWhiteSpace(s.Model)) return Invalid("model is required.");
        if (s.StartedAt is not { } started) return Invalid("startedAt is required, e.g. \"2026-11-03T09:30:00Z\".");
        if (started > now.AddDays(1)) return Invalid($"startedAt {started:O} is in the future.");
        if (s.EndedAt is { } ended && ended < started) return Invalid("endedAt is before startedAt.");
        if (s.InputTokens < 0 || s.OutputTokens < 0 || s.CachedInputTokens < 0) return Invalid("Token counts cannot be negative.");
        if (s.CostUsd < 0) return Invalid("costUsd cannot be negative.");
        if (s.Frustration is < 0 or > 1 || s.Frustration is double.NaN) return Invalid("frustration is a number in [0, 1].");
        if (s.ApiKeyId is { Length: > GrainKeys.MaxIdLength }) return Invalid($"apiKeyId is at most {GrainKeys.MaxIdLength} characters.");
        return null;
    }

    private static ItemError Invalid(string message) => new(ErrorCodes.InvalidInput, message);
}
