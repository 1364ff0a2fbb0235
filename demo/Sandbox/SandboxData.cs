namespace Flowstate.Demo.Sandbox;

/// <summary>An OpenAI cost result; <c>AmountJson</c> is the raw JSON of <c>amount.value</c> (a number with its tail, or anything a test wants to break).</summary>
public sealed record OpenAiCost(DateOnly Day, string Project, string? ApiKey, string LineItem, string AmountJson, string Currency = "usd");

public sealed record OpenAiKey(string Project, string Id, string? OwnerEmail);

/// <summary>An Anthropic cost report result; <c>AmountJson</c> is the raw JSON of <c>amount</c> (a cent string).</summary>
public sealed record AnthropicCost(DateOnly Day, string? Workspace, string Description, string AmountJson, string Currency = "USD");

/// <summary>
/// One Claude Enterprise Analytics per-user cost row (one user, day and product); the amounts are
/// the raw JSON of <c>amount</c>/<c>list_amount</c> (fractional cent strings). A null email is a deleted account.
/// </summary>
public sealed record AnthropicUserCost(DateOnly Day, string UserId, string? Email, string Product, string AmountJson, string ListAmountJson,
    int Requests = 1, string Currency = "USD");

public sealed record ClaudeCodeDay(DateOnly Day, string Email, string Model, long EstimatedCents);

/// <summary>A Cursor usage event; <c>ChargedCentsJson</c> is the raw JSON of <c>chargedCents</c>.</summary>
public sealed record CursorEvent(long TimestampMs, string Email, string Model, string ChargedCentsJson);

public sealed record CopilotSeat(string Login, DateTimeOffset CreatedAt, DateOnly? PendingCancellation, DateTimeOffset? LastActivityAt, string Plan = "business");

/// <summary>One login's credits on one model in one month; amounts are credits × $0.01.</summary>
public sealed record CopilotUsage(string Login, int Year, int Month, string Model, decimal GrossCredits, decimal DiscountCredits);

/// <summary>
/// A scripted failure: the next <see cref="Times"/> requests whose path contains <see cref="Path"/>
/// (on page <see cref="Page"/>, any page when null) get this answer instead, after <see cref="Delay"/>.
/// A <see cref="Status"/> of 0 only delays, then answers normally.
/// </summary>
public sealed record SandboxFault(string Path, int? Page, int Times, int Status, string? Body = null, string ContentType = "application/json",
    string? RetryAfter = null, TimeSpan Delay = default);

/// <summary>Everything the provider sandbox serves. Tests and the demo replace the lists between pulls.</summary>
public sealed class SandboxData
{
    public List<OpenAiCost> OpenAiCosts { get; set; } = [];
    public List<OpenAiKey> OpenAiKeys { get; set; } = [];
    public List<AnthropicCost> AnthropicCosts { get; set; } = [];
    public List<ClaudeCodeDay> ClaudeCode { get; set; } = [];
    public List<AnthropicUserCost> AnthropicUserCosts { get; set; } = [];
    /// <summary>What the Enterprise Analytics per-user cost report answers: 200 with the rows, or e.g. 403/404 for a key without access.</summary>
    public int AnthropicAnalyticsStatus { get; set; } = 200;
    /// <summary>Rows per page of the per-user cost report, at most the request's limit.</summary>
    public int AnthropicUserCostsPerPage { get; set; } = 1000;
    public List<CursorEvent> CursorEvents { get; set; } = [];
    /// <summary>Start of Cursor's current billing cycle (epoch ms); <c>/teams/spend</c> sums the events since.</summary>
    public long CursorCycleStartMs { get; set; }
    /// <summary>Cents added to a member's <c>/teams/spend</c> (to make the cycle check disagree).</summary>
    public Dictionary<string, decimal> CursorSpendSkew { get; set; } = [];
    public List<CopilotSeat> CopilotSeats { get; set; } = [];
    public List<CopilotUsage> CopilotUsage { get; set; } = [];
    public string CopilotOrg { get; set; } = "acme-eng";

    /// <summary>Buckets (days) per page of OpenAI and Anthropic reports, at most the request's limit.</summary>
    public int BucketsPerPage { get; set; } = 31;
    /// <summary>Seconds past midnight at which OpenAI's first bucket starts (it starts at the requested time, which need not be midnight).</summary>
    public int OpenAiFirstBucketOffsetSeconds { get; set; }
    public int CopilotSeatsPerPage { get; set; } = 100;

    /// <summary>The credential each API accepts; any other gets 401.</summary>
    public string OpenAiKey { get; set; } = "sk-admin-sandbox";
    public string AnthropicKey { get; set; } = "sk-ant-admin01-sandbox";
    public string CursorKey { get; set; } = "crsr_sandbox";
    public string GitHubToken { get; set; } = "ghp_sandbox";
}
