using Flowstate.Attribution;
using Flowstate.GraphQL.Types;
using Flowstate.Workforce;
using GraphQL;
using GraphQL.DataLoader;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.GraphQL.Schema;

/// <summary>
/// Who may read a session's prompt and response (DESIGN §7): only in an org on the ENTERPRISE plan,
/// and only an admin or the session's own person. Anyone else gets null, and the refusal is recorded.
/// </summary>
public static class ContentAccess
{
    public const string NotEnterprise = "PLAN_NOT_ENTERPRISE";
    public const string NotAdminOrOwner = "NOT_ADMIN_OR_OWNER";

    /// <summary>Null when <paramref name="caller"/> may read the content of a session of <paramref name="sessionPersonId"/>; else why not.</summary>
    public static string? Denial(OrgPlan plan, FlowstateUserContext caller, string? sessionPersonId)
    {
        if (plan != OrgPlan.Enterprise) return NotEnterprise;
        if (caller.IsInRole(Roles.Admin)) return null;
        return caller.Person is { } own && own == sessionPersonId ? null : NotAdminOrOwner;
    }
}

/// <summary>
/// What one request needs to answer <c>Session.content</c>: the org's plan (asked once), and the
/// content of every session on the page, fetched in one query once all the allowed ones are known
/// (a data loader: the executor resolves these after the rest of the level).
/// </summary>
internal sealed class ContentRequest(ISessionContentStore store, IGrainFactory grains, string org)
{
    private const string Key = "flowstate.content-request";
    private readonly Lock _lock = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<SessionContent?>> _loads = new(StringComparer.Ordinal);
    private Task<OrgSettings>? _settings;

    public ISessionContentStore Store => store;

    public static ContentRequest Of(IResolveFieldContext c)
    {
        var caller = c.Caller();
        lock (caller)
        {
            if (caller.TryGetValue(Key, out var found) && found is ContentRequest request) return request;
            var created = new ContentRequest(c.RequestServices!.GetRequiredService<ISessionContentStore>(), c.Grains(), caller.Org);
            caller[Key] = created;
            return created;
        }
    }

    public Task<OrgSettings> SettingsAsync()
    {
        lock (_lock) return _settings ??= grains.GetGrain<IOrgGrain>(org).GetSettingsAsync();
    }

    public IDataLoaderResult<SessionContent?> Load(string sessionId)
    {
        lock (_lock) if (!_loads.ContainsKey(sessionId)) _queued.Add(sessionId);
        return new Pending(this, sessionId);
    }

    private Task<SessionContent?> GetAsync(string sessionId, CancellationToken ct)
    {
        lock (_lock)
        {
            if (_loads.TryGetValue(sessionId, out var loading)) return loading;
            _queued.Add(sessionId);
            var ids = _queued.ToList();
            _queued.Clear();
            var batch = store.ReadAsync(org, ids, ct);
            foreach (var id in ids) _loads[id] = PickAsync(batch, id);
            return _loads[sessionId];
        }
    }

    private static async Task<SessionContent?> PickAsync(Task<IReadOnlyDictionary<string, SessionContent>> batch, string id) =>
        (await batch).GetValueOrDefault(id);

    private sealed class Pending(ContentRequest request, string sessionId) : IDataLoaderResult<SessionContent?>
    {
        public Task<SessionContent?> GetResultAsync(CancellationToken cancellationToken = default) => request.GetAsync(sessionId, cancellationToken);

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
    }
}
