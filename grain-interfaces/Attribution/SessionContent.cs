namespace Flowstate.Attribution;

/// <summary>A session's prompt and response as ingested (either may be absent).</summary>
public sealed record SessionContent(string? Prompt, string? Response);

/// <summary>One refused read of a session's content (DESIGN §7: every denial is recorded).</summary>
public sealed record ContentDenial(string Org, string SessionId, string Actor, string Reason);

/// <summary>A recorded denial, as an admin reads it back.</summary>
public sealed record ContentDenialEntry(long Seq, string SessionId, string Actor, string Reason, DateTimeOffset At);

/// <summary>
/// Prompt and response of sessions, kept apart from the sessions table (<c>session_content</c>),
/// and the record of refused reads (<c>content_access_denials</c>).
/// </summary>
public interface ISessionContentStore
{
    /// <summary>The content of those of <paramref name="sessionIds"/> that have any, by session id.</summary>
    Task<IReadOnlyDictionary<string, SessionContent>> ReadAsync(string org, IReadOnlyCollection<string> sessionIds, CancellationToken ct = default);

    /// <summary>Records a refused read; completes once it is durable (denials of one moment are written together).</summary>
    Task RecordDenialAsync(ContentDenial denial);

    /// <summary>The org's recorded denials, newest first, up to <paramref name="first"/> before the cursor's seq.</summary>
    Task<IReadOnlyList<ContentDenialEntry>> ReadDenialsAsync(string org, int first, long? beforeSeq, CancellationToken ct = default);
}
