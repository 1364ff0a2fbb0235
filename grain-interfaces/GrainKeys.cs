namespace Flowstate;

/// <summary>
/// Grain keys are built from domain ids here, and only here. Every key starts with the org so
/// that orgs stay isolated; each id component is escaped so that no input can forge another key.
/// </summary>
public static class GrainKeys
{
    public const int MaxIdLength = 200;

    public static string Escape(string component) => Uri.EscapeDataString(component);

    public static string Join(string org, params string[] parts) =>
        string.Join('/', parts.Prepend(org).Select(Escape));

    /// <summary>The public id of a billing row: provider and external id, escaped.</summary>
    public static string RowId(string providerId, string externalId) => $"{Escape(providerId)}/{Escape(externalId)}";

    public static string Row(string org, string rowId) => $"{Escape(org)}/{rowId}";

    public static bool TryParseRowId(string rowId, out string providerId, out string externalId)
    {
        providerId = externalId = "";
        var parts = rowId.Split('/');
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0) return false;
        try
        {
            providerId = Uri.UnescapeDataString(parts[0]);
            externalId = Uri.UnescapeDataString(parts[1]);
        }
        catch (UriFormatException) { return false; }
        return RowId(providerId, externalId) == rowId;
    }

    /// <summary>The part of a grain key after the org, e.g. a row id from a row grain key.</summary>
    public static string WithoutOrg(string key) => key[(key.IndexOf('/') + 1)..];

    public static string OrgOf(string key) => Uri.UnescapeDataString(key[..key.IndexOf('/')]);
}

/// <summary>
/// Subject keys inside partition keys: <c>p:</c> a resolved person, <c>u:</c> a subject string no
/// person answers to (kept so it can still match), <c>k:</c> an account (API key, workspace).
/// </summary>
public static class SubjectKeys
{
    public static string Person(string personId) => "p:" + personId;
    public static string Unresolved(string subject) => "u:" + subject.Trim().ToLowerInvariant();
    public static string Account(string account) => "k:" + account.Trim();
    public static string? PersonIdOf(string subjectKey) => subjectKey.StartsWith("p:", StringComparison.Ordinal) ? subjectKey[2..] : null;
}

public static class PartitionKeys
{
    public static string Of(string org, string providerId, string subjectKey, Period month) =>
        GrainKeys.Join(org, providerId, subjectKey, month.ToString());
}
