namespace Flowstate.Connectors;

/// <summary>
/// A pull that cannot go on: the provider's answer was malformed, the credential was rejected, or
/// the provider stayed unavailable after retries. The message names the provider, endpoint, page
/// and field, and never the credential.
/// </summary>
public sealed class ConnectorException(ConnectorKind provider, string endpoint, int page, string? field, string problem, int? status = null, Exception? inner = null)
    : Exception(Describe(provider, endpoint, page, field, problem), inner)
{
    public ConnectorKind Provider { get; } = provider;
    public string Endpoint { get; } = endpoint;
    public int Page { get; } = page;
    public string? Field { get; } = field;
    public int? Status { get; } = status;

    /// <summary>True when the provider refused the credential (401/403).</summary>
    public bool CredentialRejected => Status is 401 or 403;

    public static string Name(ConnectorKind kind) => kind switch
    {
        ConnectorKind.OpenAi => "OPENAI",
        ConnectorKind.Anthropic => "ANTHROPIC",
        ConnectorKind.Cursor => "CURSOR",
        ConnectorKind.GithubCopilot => "GITHUB_COPILOT",
        _ => kind.ToString(),
    };

    private static string Describe(ConnectorKind provider, string endpoint, int page, string? field, string problem) =>
        $"{Name(provider)} {endpoint} page {page}{(field is null ? "" : $" field {field}")}: {problem}";
}
