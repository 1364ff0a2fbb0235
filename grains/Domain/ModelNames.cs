namespace Flowstate.Domain;

/// <summary>
/// One name per model. Providers spell the same model differently (Cursor says
/// <c>claude-4.5-sonnet</c>, GitHub Copilot <c>claude-sonnet-4.5</c>, Anthropic's API
/// <c>claude-sonnet-4-5</c> or a dated snapshot id), which would split one model's sessions,
/// frustration and prices three ways. Sessions are stored under the canonical name (the model
/// maker's own API id), prices are looked up by it, and the sessions filter accepts any alias.
/// <para>
/// The table is per provider (keyed by the provider ids orgs use for them), so that it documents
/// where each spelling comes from; an alias always means the same model, so a name is also looked
/// up in every provider's table when its own has no entry (a provider configured under another
/// id). Matching ignores case. A name no table knows is left exactly as it came.
/// </para>
/// </summary>
public static class ModelNames
{
    /// <summary>Alias → canonical name, by provider id. README "Model names" lists the same table.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Aliases =
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase)
        {
            // Cursor puts the version before the family name.
            ["cursor"] = Table(
                ("claude-4.5-sonnet", "claude-sonnet-4-5"), ("claude-4.5-sonnet-thinking", "claude-sonnet-4-5"),
                ("claude-4.5-opus", "claude-opus-4-5"), ("claude-4.5-haiku", "claude-haiku-4-5"),
                ("claude-4.1-opus", "claude-opus-4-1"), ("claude-4-sonnet", "claude-sonnet-4-0")),
            // GitHub Copilot writes the version with a dot.
            ["copilot"] = Table(
                ("claude-sonnet-4.5", "claude-sonnet-4-5"), ("claude-opus-4.5", "claude-opus-4-5"),
                ("claude-haiku-4.5", "claude-haiku-4-5"), ("claude-opus-4.1", "claude-opus-4-1"),
                ("claude-sonnet-4", "claude-sonnet-4-0")),
            // Anthropic's API answers with dated snapshot ids; the undated alias is the model.
            ["anthropic"] = Table(
                ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"), ("claude-opus-4-5-20251101", "claude-opus-4-5"),
                ("claude-haiku-4-5-20251001", "claude-haiku-4-5"), ("claude-opus-4-1-20250805", "claude-opus-4-1"),
                ("claude-sonnet-4-20250514", "claude-sonnet-4-0")),
            // OpenAI's API, likewise.
            ["openai"] = Table(
                ("gpt-5-2025-08-07", "gpt-5"), ("gpt-5-mini-2025-08-07", "gpt-5-mini"), ("gpt-4.1-2025-04-14", "gpt-4.1"),
                ("o3-2025-04-16", "o3")),
        };

    private static readonly Dictionary<string, string> Everywhere = Aliases.Values
        .SelectMany(t => t).GroupBy(e => e.Key, StringComparer.OrdinalIgnoreCase)
        .ToDictionary(g => g.Key, g => g.Single().Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>The canonical name of <paramref name="model"/> as <paramref name="providerId"/> reports it; unknown names unchanged.</summary>
    public static string Canonical(string? providerId, string model)
    {
        var trimmed = model.Trim();
        if (providerId is not null && Aliases.TryGetValue(providerId, out var own) && own.TryGetValue(trimmed, out var canonical)) return canonical;
        return Everywhere.TryGetValue(trimmed, out var known) ? known : model;
    }

    /// <summary>True when two names are the same model.</summary>
    public static bool Same(string a, string b) => string.Equals(Canonical(null, a), Canonical(null, b), StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, string> Table(params (string Alias, string Canonical)[] entries) =>
        entries.ToDictionary(e => e.Alias, e => e.Canonical, StringComparer.OrdinalIgnoreCase);
}
