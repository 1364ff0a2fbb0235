using Flowstate.Ingestion;
using Flowstate.Workforce;

namespace Flowstate.Domain;

/// <summary>
/// Infers a session's project from its working context: a context someone marked before wins,
/// then a project that lists the session's repository. Repositories compare in one normal form,
/// so <c>git@github.com:acme/web.git</c> and <c>https://github.com/Acme/web</c> are the same.
/// </summary>
public static class ProjectClassifier
{
    /// <summary>The key a context is learned under: the repository, else the app and path; null when there is no context.</summary>
    public static string? ContextKey(SessionContext? context)
    {
        if (NormalizeRepo(context?.Repo) is { } repo) return "repo:" + repo;
        if (context?.Path is { } path && path.Trim().TrimEnd('/') is { Length: > 0 } p)
            return $"path:{context.App?.Trim().ToLowerInvariant()}:{p.ToLowerInvariant()}";
        return null;
    }

    public static string? Infer(WorkforceSnapshot workforce, string? contextKey)
    {
        if (contextKey is null) return null;
        if (workforce.LearnedProjects.TryGetValue(contextKey, out var learned) && workforce.Projects.ContainsKey(learned)) return learned;
        return contextKey.StartsWith("repo:", StringComparison.Ordinal) ? ProjectsByRepo(workforce).GetValueOrDefault(contextKey[5..]) : null;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<WorkforceSnapshot, Dictionary<string, string>> s_byRepo = new();

    /// <summary>Normalized repository → project (the lowest id when several list it), built once per workforce version.</summary>
    private static Dictionary<string, string> ProjectsByRepo(WorkforceSnapshot workforce) => s_byRepo.GetValue(workforce, w =>
        w.Projects.Values.OrderBy(p => p.Id, StringComparer.Ordinal)
            .SelectMany(p => p.Repos.Select(NormalizeRepo).OfType<string>().Select(r => (Repo: r, p.Id)))
            .GroupBy(x => x.Repo).ToDictionary(g => g.Key, g => g.First().Id));

    /// <summary>host/owner/name in lower case, without scheme, user, ".git" or trailing slashes; null for blank input.</summary>
    public static string? NormalizeRepo(string? repo)
    {
        if (string.IsNullOrWhiteSpace(repo)) return null;
        var r = repo.Trim().ToLowerInvariant();
        var scheme = r.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) r = r[(scheme + 3)..];
        var (at, slash) = (r.IndexOf('@'), r.IndexOf('/'));
        if (at >= 0 && (slash < 0 || at < slash)) r = r[(at + 1)..];   // a user before the host: git@host:owner/name
        r = r.Replace(':', '/').TrimEnd('/');
        if (r.EndsWith(".git", StringComparison.Ordinal)) r = r[..^4];
        return r.Length == 0 ? null : r;
    }
}
